// The same integration suite over a real 3-member etcd cluster (Debian's etcd-server, installed by
// scripts/system-deps.sh), through the apiserver's etcd3 back end.
import { describe } from 'vitest';
import { etcdBackend } from './backends.ts';
import { defineApiserverSuite } from './suite.ts';

describe('apiserver over etcd', () => defineApiserverSuite(etcdBackend));
