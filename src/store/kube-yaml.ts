/** The YAML parser, behind a module of its own so that the Kubernetes path loads it only when a kubeconfig needs it (`tokenFile`). */
export { parse } from 'yaml';
