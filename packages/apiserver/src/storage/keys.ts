// Where objects live in the key space: /registry/<plural>/<namespace>/<name> for namespaced resources and
// /registry/<plural>/<name> for cluster-scoped ones (kube-apiserver's layout), so one prefix lists a
// resource in every namespace and a longer one lists a namespace.

export const REGISTRY_PREFIX = '/registry/';

export function objectKey(plural: string, namespace: string, name: string): string {
  return namespace === '' ? `${REGISTRY_PREFIX}${plural}/${name}` : `${REGISTRY_PREFIX}${plural}/${namespace}/${name}`;
}

/** The prefix of a resource in one namespace, or in all (`namespace` ''), ending in '/'. */
export function listPrefix(plural: string, namespace: string): string {
  return namespace === '' ? `${REGISTRY_PREFIX}${plural}/` : `${REGISTRY_PREFIX}${plural}/${namespace}/`;
}
