// coordination.k8s.io/v1 Lease: the record leader election reads and writes (client-go's LeaseLock).
import { fieldAt, type ApiObject } from '../../api/object.ts';
import { fieldError, type FieldError } from '../../api/status.ts';
import type { ResourceDefinition } from '../resource.ts';
import { objectSchema } from '../schema.ts';

export const leases: ResourceDefinition = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  singular: 'lease',
  shortNames: [],
  namespaced: true,
  nameRule: 'dns1123Subdomain',
  description: 'Lease defines a lease concept.',
  schema: objectSchema(
    {
      spec: {
        type: 'object',
        properties: {
          holderIdentity: { type: 'string', description: 'The identity of the holder of a current lease.' },
          leaseDurationSeconds: { type: 'integer', format: 'int32', description: 'How long candidates wait to force-acquire the lease, measured against the last observed renewTime.' },
          acquireTime: { type: 'string', format: 'micro-time', description: 'When the current lease was acquired.' },
          renewTime: { type: 'string', format: 'micro-time', description: 'When the current holder last updated the lease.' },
          leaseTransitions: { type: 'integer', format: 'int32', description: 'The number of transitions of the lease between holders.' },
          strategy: { type: 'string' },
          preferredHolder: { type: 'string' },
        },
      },
    },
    'Lease defines a lease concept.',
  ),
  validate(obj: ApiObject): FieldError[] {
    const out: FieldError[] = [];
    const duration = fieldAt(obj, ['spec', 'leaseDurationSeconds']);
    if (typeof duration === 'number' && duration <= 0) out.push(fieldError.invalid('spec.leaseDurationSeconds', duration, 'must be greater than 0'));
    const transitions = fieldAt(obj, ['spec', 'leaseTransitions']);
    if (typeof transitions === 'number' && transitions < 0) out.push(fieldError.invalid('spec.leaseTransitions', transitions, 'must be greater than or equal to 0'));
    return out;
  },
  tableColumns: [{ name: 'Holder', type: 'string', format: '', description: 'The holder of the lease.', priority: 0 }],
  tableCells: (obj) => [String(fieldAt(obj, ['spec', 'holderIdentity']) ?? '')],
};
