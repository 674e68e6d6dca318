// The `devices:` map of a node: devices to create (with `type`) and attributes of any device of
// the node (link ends, lo, created devices). Shape only; references are checked in devices.ts.
import { z } from 'zod';
import { DEVICE_NAME, deviceNameProblem } from './names.js';
import { DEVICE_TYPES, MACVLAN_MODES } from '../types/scenario.js';

const deviceName = z.string().regex(DEVICE_NAME, { error: (iss) => deviceNameProblem(String(iss.input)) ?? 'invalid device name' });

/** 68 is the smallest MTU IPv4 allows (RFC 791); 65535 the largest an Ethernet-like device takes (ETH_MAX_MTU). */
export const MTU_MIN = 68;
export const MTU_MAX = 65535;
const MTU = `an MTU is a whole number of bytes from ${MTU_MIN} to ${MTU_MAX}`;

/** A unicast Ethernet address; the kernel refuses a multicast one (lowest bit of the first octet set). */
export const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
export const macProblem = (mac: string): string | undefined => {
  if (!MAC.test(mac)) return `${JSON.stringify(mac)} is not a MAC address; write six hex octets, e.g. "02:00:00:00:00:01"`;
  if ((parseInt(mac.slice(0, 2), 16) & 1) === 1) return `${mac} is a multicast address; a device's own address must be unicast`;
  if (/^0{2}(:0{2}){5}$/.test(mac)) return '00:00:00:00:00:00 cannot be a device\'s address';
  return undefined;
};

/** 802.1Q: 12 bits, 0 and 4095 reserved (a vlan device may use 0, priority tagging). */
export const VLAN_ID_MAX = 4094;
const VID = `a VLAN id is a whole number from 1 to ${VLAN_ID_MAX}`;
const VNI_MAX = 16777215;
const PORT = 'a UDP port is a whole number from 1 to 65535';

const bridgeVlanSchema = z.strictObject({
  vid: z.int({ error: VID }).min(1, { error: VID }).max(VLAN_ID_MAX, { error: VID }).describe('The VLAN id (1-4094).'),
  pvid: z.boolean().optional().describe('Untagged frames received on the port get this VLAN (at most one per port).'),
  untagged: z.boolean().optional().describe('Frames of this VLAN leave the port untagged.'),
});

export const deviceSpecSchema = z.strictObject({
  type: z.enum(DEVICE_TYPES, { error: `type must be one of: ${DEVICE_TYPES.join(', ')}` }).optional()
    .describe('Create a device of this type (dummy, macvlan, vxlan, vlan, bridge); without it the entry sets attributes of a device the node has.'),
  link: deviceName.optional().describe('macvlan, vlan: the lower device of the node it sits on.'),
  mode: z.enum(MACVLAN_MODES, { error: `a macvlan mode is one of: ${MACVLAN_MODES.join(', ')}` }).optional()
    .describe('macvlan: private, vepa (the kernel\'s default), bridge, passthru or source.'),
  id: z.int({ error: 'id must be a whole number' }).min(0, { error: 'id must not be negative' }).optional()
    .describe(`vxlan: the VNI (0-${VNI_MAX}); vlan: the VLAN id (0-${VLAN_ID_MAX}).`),
  local: z.string().optional().describe('vxlan: the source address of the encapsulating UDP packets.'),
  remote: z.string().optional().describe('vxlan: the unicast address of the other end.'),
  group: z.string().optional().describe('vxlan: a multicast group (instead of remote); needs dev.'),
  dev: deviceName.optional().describe('vxlan: the underlay device of the node.'),
  dstport: z.int({ error: PORT }).min(1, { error: PORT }).max(65535, { error: PORT }).optional()
    .describe('vxlan: the UDP destination port (default 4789, the IANA port).'),
  vlan_filtering: z.boolean().optional().describe('bridge: filter frames by the VLANs of its ports (802.1Q bridge).'),
  mtu: z.int({ error: MTU }).min(MTU_MIN, { error: MTU }).max(MTU_MAX, { error: MTU }).optional()
    .describe('The MTU in bytes.'),
  mac: z.string().refine((m) => macProblem(m) === undefined, { error: (iss) => macProblem(String(iss.input)) ?? 'invalid MAC address' }).optional()
    .describe('The link-layer address (lladdr), e.g. "02:00:00:00:00:01".'),
  up: z.boolean().optional().describe('false leaves the device down (default: every device is brought up).'),
  master: deviceName.optional()
    .describe('A bridge of the node to enslave the device to, or none: a port of a `bridge:` node that stays out of the bridge.'),
  vlans: z.array(bridgeVlanSchema).min(1).optional()
    .describe('Bridge port VLANs: exactly these (the default VLAN 1 is removed unless listed).'),
}).describe('A device to create (with type), or attributes of a device of the node.');

export const devicesSchema = z.record(deviceName, deviceSpecSchema)
  .describe('Devices of the node by name: created ones (with type) and attributes of any device (link ends, lo, created).');

export type RawDeviceSpec = z.output<typeof deviceSpecSchema>;
