// moved to src/types/scenario.ts (re-exported here during the move only)
export { type SourceLoc, type DeviceRef, type NodeSpec, DEVICE_TYPES, type DeviceType, MACVLAN_MODES, type MacvlanMode, type BridgeVlan, type DeviceSpec, type VethLink, type Link, WIRELESS_MODES, type WirelessMode, type WirelessLink, type AddressAssignment, PROBE_KINDS, type ProbeKind, CAUSES, type Cause, type Probe, type ProbeAttributes, type RouteExpectation, REJECT_KINDS, type RejectKind, type Expectation, type ReplyExpectation, type RecipeUse, type SysctlSetting, type MatrixValue, type MatrixCell, type ExpectationOverride, type Case, type Scenario, ROUTE_TYPES, type RouteType, RULE_ACTION_TYPES, type RuleActionType, type TableRef, type NextHop, type Route, type RuleAction, type Rule, type DefaultRules, type SetupCommand, type NodeRouting, REPLACEABLE_LISTS, type ReplaceableList, type NodeOverride } from '../types/scenario.js';

// moved to src/model/refs.ts
export { formatRef } from './refs.js';
