#!/usr/bin/env node
// Writes tests/data/blazeface_human_png.json: what human 3.3.6 itself reports with its face detector
// only (BlazeFace, mesh off, rotation off, maxDetected 100, minConfidence 0.2, iouThreshold 0.1) on the
// colour PNGs of shared/reference/golden/faceapi_png.json (PNG: identical pixels for any decoder).
// Per face: face.box (human's 1.4x enlarged, squared, rounded and clamped detector box), face.boxScore
// (rounded to 0.01 by human), face.mesh (the 6 keypoints, scaled to the image).
// usage: node make_blazeface_golden.js REFERENCE_DIR SHARED_DIR HUMAN_MODELS_DIR > blazeface_human_png.json
//   REFERENCE_DIR: an `npm ci`'d copy of shared/reference (it holds human 3.3.6, tfjs 4.22, pngjs)
//   HUMAN_MODELS_DIR: the folder holding blazeface.json (facekit's models/human)
'use strict';

const fs = require('fs');
const path = require('path');

const [ref, shared, models] = process.argv.slice(2);
const need = (m) => require(path.join(ref, 'node_modules', m));
const tf = need('@tensorflow/tfjs');
need('@tensorflow/tfjs-backend-wasm');
const { PNG } = need('pngjs');
const { Human } = need('@vladmandic/human/dist/human.node-wasm.js');
const IMAGES = ['data/faces/debian/python3-skimage/astronaut.png', 'data/faces/face_recognition/examples/lin-manuel-miranda.png',
  'data/faces/face_recognition/examples/alex-lacamoire.png'];

// tfjs without tfjs-node has no file:// loader; human asks for file://MODELS/blazeface.json.
tf.io.registerLoadRouter((url) => {
  if (typeof url !== 'string' || !url.startsWith('file://')) return null;
  return {
    load: async () => {
      const file = url.slice('file://'.length);
      const j = JSON.parse(fs.readFileSync(file, 'utf8'));
      const weightSpecs = []; const bufs = [];
      for (const g of j.weightsManifest) {
        weightSpecs.push(...g.weights);
        for (const p of g.paths) bufs.push(fs.readFileSync(path.join(path.dirname(file), p)));
      }
      const all = Buffer.concat(bufs);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
      return { modelTopology: j.modelTopology, weightSpecs, weightData, format: j.format, signature: j.signature };
    },
  };
});

async function main() {
  const off = { enabled: false };
  const human = new Human({
    backend: 'wasm', wasmPath: path.join(ref, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + path.sep,
    modelBasePath: `file://${path.resolve(models)}/`, debug: false, warmup: 'none', cacheSensitivity: 0,
    filter: off, gesture: off, body: off, hand: off, object: off, segmentation: off,
    face: {
      enabled: true,
      detector: { modelPath: 'blazeface.json', rotation: false, maxDetected: 100, minConfidence: 0.2, iouThreshold: 0.1, skipFrames: 0, skipTime: 0 },
      mesh: off, iris: off, emotion: off, description: off, antispoof: off, liveness: off, attention: off, gear: off,
    },
  });
  await human.load();
  const out = { generator: 'tests/data/make_blazeface_golden.js', human: human.version, tfjs: tf.version.tfjs, backend: tf.getBackend(),
    config: 'face detector only: maxDetected 100, minConfidence 0.2, iouThreshold 0.1, rotation false, mesh off', images: [] };
  for (const rel of IMAGES) {
    const png = PNG.sync.read(fs.readFileSync(path.join(shared, rel)));
    const rgb = new Int32Array(png.width * png.height * 3);
    for (let i = 0; i < png.width * png.height; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = png.data[i * 4 + c];
    const input = tf.tensor(rgb, [1, png.height, png.width, 3], 'int32');
    const res = await human.detect(input);
    tf.dispose(input);
    out.images.push({ path: rel, faces: res.face.map((f) => ({ box: f.box, boxScore: f.boxScore, keypoints: f.mesh.map((p) => [p[0], p[1]]) })) });
  }
  process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
}

main().catch((e) => { console.error(e); process.exit(1); });
