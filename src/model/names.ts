// Names from scenario files end up in namespace names, device names and argv: be strict.
// Each rule is a regular expression (so the JSON Schema carries it) plus a function that says
// in words what is wrong with a name the expression rejects.

/** Linux keeps device names in IFNAMSIZ (16) bytes including the terminating NUL. */
export const IFNAME_MAX = 15;

export const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,14}$/;

/** `all` and `default` are excluded because net.ipv4.conf.all/.default are not devices. */
export const DEVICE_NAME = /^(?!(?:all|default)$)[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

/** `node:dev`, both parts as above. */
export const DEVICE_REF = new RegExp(
  `^${NODE_NAME.source.slice(1, -1)}:${DEVICE_NAME.source.slice(1, -1)}$`,
);

export const SCENARIO_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export const SYSCTL_KEY = /^net\.(ipv4|ipv6)\.[A-Za-z0-9_.-]+$/;

/** The loopback device every node has; it is never declared. */
export const LOOPBACK = 'lo';

const quoted = (s: string): string => JSON.stringify(s);

export const nodeNameProblem = (name: string): string | undefined => {
  if (name === '') return 'a node name may not be empty';
  if (!/^[A-Za-z0-9_-]+$/.test(name) || !/^[A-Za-z0-9]/.test(name)) {
    return `node name ${quoted(name)} may contain only letters, digits, "_" and "-" and must start ` +
      'with a letter or digit (it becomes part of network namespace and device names)';
  }
  if (name.length > IFNAME_MAX) {
    return `node name ${quoted(name)} has ${name.length} characters; at most ${IFNAME_MAX} are allowed`;
  }
  return undefined;
};

export const deviceNameProblem = (name: string): string | undefined => {
  if (name === '') return 'a device name may not be empty';
  if (name === '.' || name === '..') return `${quoted(name)} cannot be a device name`;
  if (name === 'all' || name === 'default') {
    return `${quoted(name)} cannot be a device name: net.ipv4.conf.${name} holds the settings ` +
      (name === 'all' ? 'for every device' : 'for new devices');
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || !/^[A-Za-z0-9]/.test(name)) {
    return `device name ${quoted(name)} may contain only letters, digits, "_", "." and "-" and must ` +
      'start with a letter or digit';
  }
  if (name.length > IFNAME_MAX) {
    return `device name ${quoted(name)} has ${name.length} characters; Linux allows at most ${IFNAME_MAX} (IFNAMSIZ)`;
  }
  return undefined;
};

export const deviceRefProblem = (text: string): string | undefined => {
  const colon = text.indexOf(':');
  if (colon < 0) return `${quoted(text)} must name a device as node:device, e.g. laptop:wlan0`;
  return nodeNameProblem(text.slice(0, colon)) ?? deviceNameProblem(text.slice(colon + 1));
};

export const scenarioNameProblem = (name: string): string | undefined =>
  SCENARIO_NAME.test(name)
    ? undefined
    : `scenario name ${quoted(name)} may contain only letters, digits, "_", "." and "-" and must ` +
      'start with a letter or digit';

export const sysctlKeyProblem = (key: string): string | undefined =>
  SYSCTL_KEY.test(key)
    ? undefined
    : `${quoted(key)} cannot be set: only net.ipv4.* and net.ipv6.* keys are allowed, because they ` +
      "belong to the node's own network namespace; other sysctls could change the host itself";
