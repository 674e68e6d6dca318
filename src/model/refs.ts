import type { DeviceRef } from '../types/scenario.js';

/** `node:dev`, the way scenario files and reports name a device. */
export const formatRef = (ref: DeviceRef): string => `${ref.node}:${ref.dev}`;
