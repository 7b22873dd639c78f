// Public surface of the durable raft storage.
export { DiskStorage, mustSync, STORAGE_FORMAT_VERSION, SNAPSHOT_SIZE_BYTES_MAX_DEFAULT, COMPACT_BATCH_KEYS_MAX } from './disk-storage.ts';
export type { DiskStorageOptions, LoadedState, ReadyWrite } from './disk-storage.ts';
export { StorageError, StorageCorruptError } from './errors.ts';
export type { StorageErrorCode } from './errors.ts';
export { ImageSink, SnapshotChunkError, SnapshotStreamCheck, imageSource, streamChunks, SNAPSHOT_CHUNK_SIZE_BYTES_DEFAULT, SNAPSHOT_FORMATS } from './snapshot-chunks.ts';
export type { SnapshotChunk, SnapshotChunkErrorCode, SnapshotFormat, SnapshotSink, SnapshotSource } from './snapshot-chunks.ts';
export { MvccSnapshotSink, openMvccSnapshotSource } from './mvcc-snapshot.ts';
export { crc32 } from './crc32.ts';
export { MvccDisk, MVCC_FORMAT_VERSION, REMOVALS_PER_COMMIT_MAX } from './mvcc-disk.ts';
export type { MvccDiskLoaded } from './mvcc-disk.ts';
