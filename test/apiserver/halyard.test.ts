// The apiserver integration suite over a real 3-member Halyard KV cluster.
import { describe } from 'vitest';
import { halyardBackend } from './backends.ts';
import { defineApiserverSuite } from './suite.ts';

describe('apiserver over the Halyard KV', () => defineApiserverSuite(halyardBackend));
