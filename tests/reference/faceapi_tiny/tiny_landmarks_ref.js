#!/usr/bin/env node
// Golden values for facekit's `faceapi68-tiny` landmarker on photos: @vladmandic/face-api 1.7.15 (pinned
// in the repository's package.json / package-lock.json; its dist/face-api.esm.js bundles tfjs) runs
// detectAllFaces(SsdMobilenetv1, minConfidence 0.5).withFaceLandmarks(useTinyLandmarkNet = true) on the
// tfjs cpu backend: SSD boxes and the tiny net's 68 landmarks in image pixels.
//
// Regenerate (repository root, after `npm ci`, with ../shared present):
//   node tests/reference/faceapi_tiny/tiny_landmarks_ref.js ../shared > tests/data/golden/faceapi68_tiny_images.json
//
// Inputs are PNG files (lossless, so every decoder gives the same pixels); the small decoder below
// handles the 8-bit, non-interlaced RGB/RGBA files used here (alpha dropped, as shared/reference does).
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const ROOT = path.resolve(__dirname, '../../..');
const MODEL_DIR = path.join(ROOT, 'node_modules/@vladmandic/face-api/model');
const IMAGES = [
  'data/faces/debian/python3-skimage/astronaut.png',
  'data/faces/face_recognition/examples/lin-manuel-miranda.png',
  'data/faces/face_recognition/examples/alex-lacamoire.png',
];

function decodePng(file) {
  const buf = fs.readFileSync(file);
  let pos = 8;
  let width = 0, height = 0, colorType = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('ascii', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4);
      const bitDepth = data[8]; colorType = data[9];
      if (bitDepth !== 8 || (colorType !== 2 && colorType !== 6) || data[12] !== 0) throw new Error(`${file}: unsupported PNG`);
    } else if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const channels = colorType === 6 ? 4 : 3;
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[y * stride + i - channels] : 0;
      const b = y > 0 ? out[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= channels ? out[(y - 1) * stride + i - channels] : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + i] = (line[i] + pred) & 255;
    }
  }
  const rgb = new Int32Array(width * height * 3);
  for (let p = 0; p < width * height; p++) for (let k = 0; k < 3; k++) rgb[p * 3 + k] = out[p * channels + k];
  return { width, height, rgb };
}

function loadNet(faceapi, net, stem) {
  const manifest = JSON.parse(fs.readFileSync(path.join(MODEL_DIR, `${stem}-weights_manifest.json`), 'utf8'));
  const buffers = manifest[0].paths.map((p) => fs.readFileSync(path.join(MODEL_DIR, p)));
  const all = Buffer.concat(buffers);
  const weights = faceapi.tf.io.decodeWeights(all.buffer.slice(all.byteOffset, all.byteOffset + all.length), manifest[0].weights);
  net.loadFromWeightMap(weights);
}

async function main() {
  const shared = process.argv[2];
  if (!shared) throw new Error('usage: tiny_landmarks_ref.js SHARED_DIR');
  // The browser bundle's Node platform expects a real require('util'), which the bundle stubs out; with
  // process.versions.node hidden while it loads, tfjs takes its browser platform (Node 20 has the
  // fetch, TextEncoder and performance globals that needs). The nets and the cpu backend are the same.
  // tfjs registers that platform only where `window.document` exists, so a bare one stands in while
  // the module loads. Inputs are tensors, so face-api never touches a DOM.
  const versions = process.versions;
  Object.defineProperty(process, 'versions', { value: { ...versions, node: undefined }, configurable: true });
  globalThis.window = globalThis;
  globalThis.document = {};
  const faceapi = await import(path.join(ROOT, 'node_modules/@vladmandic/face-api/dist/face-api.esm.js'));
  Object.defineProperty(process, 'versions', { value: versions, configurable: true });
  delete globalThis.document;
  delete globalThis.window;
  // face-api asks its environment whether an input is an image element; with tensor inputs none is.
  class NoMedia {}
  faceapi.env.monkeyPatch({ Canvas: NoMedia, Image: NoMedia, ImageData: NoMedia, Video: NoMedia,
    createCanvasElement: () => { throw new Error('no canvas'); }, createImageElement: () => { throw new Error('no image'); } });
  await faceapi.tf.setBackend('cpu');
  await faceapi.tf.ready();
  loadNet(faceapi, faceapi.nets.ssdMobilenetv1, 'ssd_mobilenetv1_model');
  loadNet(faceapi, faceapi.nets.faceLandmark68TinyNet, 'face_landmark_68_tiny_model');
  const images = [];
  for (const rel of IMAGES) {
    const { width, height, rgb } = decodePng(path.join(shared, rel));
    const input = faceapi.tf.tensor3d(rgb, [height, width, 3], 'int32');
    const results = await faceapi.detectAllFaces(input, new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 }))
      .withFaceLandmarks(true);
    input.dispose();
    images.push({
      path: rel, width, height,
      faces: results.map((r) => ({
        score: r.detection.score,
        box: [r.detection.box.x, r.detection.box.y, r.detection.box.width, r.detection.box.height],
        landmarks68: r.landmarks.positions.map((p) => [p.x, p.y]),
      })),
    });
  }
  const out = {
    generator: 'tests/reference/faceapi_tiny/tiny_landmarks_ref.js',
    packages: { '@vladmandic/face-api': '1.7.15', tfjs: faceapi.tf.version_core, backend: faceapi.tf.getBackend() },
    pipeline: 'detectAllFaces(SsdMobilenetv1 minConfidence 0.5).withFaceLandmarks(useTinyLandmarkNet = true)',
    images,
  };
  process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
}

main().catch((e) => { console.error(e); process.exit(1); });
