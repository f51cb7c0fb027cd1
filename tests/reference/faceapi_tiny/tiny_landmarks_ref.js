#!/usr/bin/env node
// Golden values for facekit's `faceapi68-tiny` landmarker on photos: @vladmandic/face-api 1.7.15 (pinned
// in the repository's package.json / package-lock.json; its dist/face-api.esm.js bundles tfjs) runs
// detectAllFaces(SsdMobilenetv1, minConfidence 0.5).withFaceLandmarks(useTinyLandmarkNet = true) on the
// tfjs cpu backend: SSD boxes and the tiny net's 68 landmarks in image pixels.
//
// Regenerate (repository root, after `npm ci`, with ../shared present):
//   node tests/reference/faceapi_tiny/tiny_landmarks_ref.js ../shared > tests/data/golden/faceapi68_tiny_images.json
//
// Inputs are PNG files (lossless, so every decoder gives the same pixels; png.js decodes them).
'use strict';

const fs = require('fs');
const path = require('path');
const { decodePng } = require('./png');

const ROOT = path.resolve(__dirname, '../../..');
const MODEL_DIR = path.join(ROOT, 'node_modules/@vladmandic/face-api/model');
const IMAGES = [
  'data/faces/debian/python3-skimage/astronaut.png',
  'data/faces/face_recognition/examples/lin-manuel-miranda.png',
  'data/faces/face_recognition/examples/alex-lacamoire.png',
];

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
