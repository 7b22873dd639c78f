// Content negotiation on Accept: plain JSON, or one of the meta.k8s.io transformations kubectl and client-go
// ask for (Table, PartialObjectMetadata, PartialObjectMetadataList). Protobuf is not served; a client that
// accepts nothing else gets 406.
import { errors } from '../api/status.ts';

export type ResponseFormat =
  | { readonly kind: 'json' }
  | { readonly kind: 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList'; readonly metaApiVersion: 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1' };

interface MediaRange {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
}

function parseAccept(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part) => {
      const [type, ...params] = part.split(';').map((s) => s.trim());
      const p: Record<string, string> = {};
      for (const kv of params) {
        const i = kv.indexOf('=');
        if (i > 0) p[kv.slice(0, i).trim().toLowerCase()] = kv.slice(i + 1).trim();
      }
      return { type: (type ?? '').toLowerCase(), params: p };
    })
    .filter((m) => m.type !== '');
}

/** The first acceptable format in the client's order of preference. */
export function negotiate(acceptHeader: string | undefined): ResponseFormat {
  if (acceptHeader === undefined || acceptHeader.trim() === '') return { kind: 'json' };
  const ranges = parseAccept(acceptHeader);
  for (const r of ranges) {
    const jsonish = r.type === 'application/json' || r.type === '*/*' || r.type === 'application/*';
    if (!jsonish) continue;
    const as = r.params['as'];
    if (as === undefined) return { kind: 'json' };
    if (r.params['g'] !== 'meta.k8s.io') continue;
    const v = r.params['v'];
    if (v !== 'v1' && v !== 'v1beta1') continue;
    if (as === 'Table' || as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { kind: as, metaApiVersion: `meta.k8s.io/${v}` };
  }
  throw errors.notAcceptable('only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io');
}

/** The Content-Type of a response in `format`. */
export function contentTypeOf(format: ResponseFormat): string {
  if (format.kind === 'json') return 'application/json';
  const [g, v] = format.metaApiVersion.split('/');
  return `application/json;as=${format.kind};v=${v};g=${g}`;
}
