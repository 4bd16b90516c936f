/**
 * @tessera/data: medical-image data sets: loaders (MedMNIST .npz, PNG/JPEG/DICOM folders), dataset
 * resolution and download with checksums, and seeded site splits.
 * @module
 */
export * from './errors.js';
export * from './dataset.js';
export * from './npy.js';
export * from './npz.js';
export * from './sampling.js';
export * from './split.js';
export * from './files.js';
export * from './checksum.js';
export * from './progress.js';
export * from './download.js';
export * from './resolve.js';
export * from './dicom.js';
export * from './image.js';
export * from './folder.js';
export * from './load.js';
