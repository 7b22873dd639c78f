// Field numbers of the Kubernetes protobuf messages this apiserver decodes (from k8s.io/api and
// k8s.io/apimachinery generated.proto), and the runtime.Unknown envelope they travel in.
import type { MessageSpec } from './wire.ts';

const typeMeta: MessageSpec = { 1: { name: 'apiVersion', kind: 'string' }, 2: { name: 'kind', kind: 'string' } };

/** runtime.Unknown: the envelope after the `k8s\0` magic prefix. */
export const unknownEnvelope: MessageSpec = {
  1: { name: 'typeMeta', kind: 'message', message: typeMeta },
  2: { name: 'raw', kind: 'bytes' },
  3: { name: 'contentEncoding', kind: 'string' },
  4: { name: 'contentType', kind: 'string' },
};

const ownerReference: MessageSpec = {
  5: { name: 'apiVersion', kind: 'string' },
  1: { name: 'kind', kind: 'string' },
  3: { name: 'name', kind: 'string' },
  4: { name: 'uid', kind: 'string' },
  6: { name: 'controller', kind: 'bool' },
  7: { name: 'blockOwnerDeletion', kind: 'bool' },
};

/** metav1.ObjectMeta (managedFields, 17, is skipped: the server does not keep it). */
export const objectMeta: MessageSpec = {
  1: { name: 'name', kind: 'string' },
  2: { name: 'generateName', kind: 'string' },
  3: { name: 'namespace', kind: 'string' },
  4: { name: 'selfLink', kind: 'string' },
  5: { name: 'uid', kind: 'string' },
  6: { name: 'resourceVersion', kind: 'string' },
  7: { name: 'generation', kind: 'int64' },
  8: { name: 'creationTimestamp', kind: 'time' },
  9: { name: 'deletionTimestamp', kind: 'time' },
  10: { name: 'deletionGracePeriodSeconds', kind: 'int64' },
  11: { name: 'labels', kind: 'map', value: 'string' },
  12: { name: 'annotations', kind: 'map', value: 'string' },
  13: { name: 'ownerReferences', kind: 'message', message: ownerReference, repeated: true },
  14: { name: 'finalizers', kind: 'string', repeated: true },
};

const metadata = { name: 'metadata', kind: 'message', message: objectMeta } as const;

export const configMap: MessageSpec = {
  1: metadata,
  2: { name: 'data', kind: 'map', value: 'string' },
  3: { name: 'binaryData', kind: 'map', value: 'bytes' },
  4: { name: 'immutable', kind: 'bool' },
};

export const secret: MessageSpec = {
  1: metadata,
  2: { name: 'data', kind: 'map', value: 'bytes' },
  3: { name: 'type', kind: 'string' },
  4: { name: 'stringData', kind: 'map', value: 'string' },
  5: { name: 'immutable', kind: 'bool' },
};

const namespaceCondition: MessageSpec = {
  1: { name: 'type', kind: 'string' },
  2: { name: 'status', kind: 'string' },
  4: { name: 'lastTransitionTime', kind: 'time' },
  5: { name: 'reason', kind: 'string' },
  6: { name: 'message', kind: 'string' },
};

export const namespace: MessageSpec = {
  1: metadata,
  2: { name: 'spec', kind: 'message', message: { 1: { name: 'finalizers', kind: 'string', repeated: true } } },
  3: { name: 'status', kind: 'message', message: { 1: { name: 'phase', kind: 'string' }, 2: { name: 'conditions', kind: 'message', message: namespaceCondition, repeated: true } } },
};

export const lease: MessageSpec = {
  1: metadata,
  2: {
    name: 'spec',
    kind: 'message',
    message: {
      1: { name: 'holderIdentity', kind: 'string' },
      2: { name: 'leaseDurationSeconds', kind: 'int32' },
      3: { name: 'acquireTime', kind: 'microTime' },
      4: { name: 'renewTime', kind: 'microTime' },
      5: { name: 'leaseTransitions', kind: 'int32' },
      6: { name: 'strategy', kind: 'string' },
      7: { name: 'preferredHolder', kind: 'string' },
    },
  },
};

export const deleteOptions: MessageSpec = {
  1: { name: 'gracePeriodSeconds', kind: 'int64' },
  2: { name: 'preconditions', kind: 'message', message: { 1: { name: 'uid', kind: 'string' }, 2: { name: 'resourceVersion', kind: 'string' } } },
  3: { name: 'orphanDependents', kind: 'bool' },
  4: { name: 'propagationPolicy', kind: 'string' },
  5: { name: 'dryRun', kind: 'string', repeated: true },
};

/** Messages by apiVersion/kind. */
export const MESSAGES: Readonly<Record<string, MessageSpec>> = {
  'v1/ConfigMap': configMap,
  'v1/Secret': secret,
  'v1/Namespace': namespace,
  'coordination.k8s.io/v1/Lease': lease,
  'v1/DeleteOptions': deleteOptions,
  'meta.k8s.io/v1/DeleteOptions': deleteOptions,
};
