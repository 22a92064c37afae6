/** Where in the YAML a value sits: keys and list indexes from the root. */
export type ConfigPath = readonly (string | number)[];
