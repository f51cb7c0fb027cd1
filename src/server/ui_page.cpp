// GET /ui: one self-contained page (no external files) over the API: two photos -> /verify with
// the verdict and both faces boxed; one photo -> /analyze with each face boxed and described.
// #result's data-boxes attribute says how many boxes were drawn (the browser test reads it).
#include "server/routes.hpp"

namespace facekit::server {

const char* ui_page_html() {
  return R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>facekit</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
  fieldset { border: 1px solid #ccc; padding: 1em; margin-bottom: 1em; }
  label { display: inline-block; margin-right: 2em; }
  #verdict { font-size: 1.4em; font-weight: 600; margin: .5em 0; }
  #verdict.same { color: #0a7a2f; } #verdict.different { color: #b3261e; } #verdict.error { color: #b3261e; }
  canvas { max-width: 45%; margin-right: 1em; border: 1px solid #ddd; }
  pre { background: #f6f6f6; padding: .5em; }
</style>
</head>
<body>
<h1>facekit</h1>
<fieldset>
  <label>Photo 1 <input type="file" id="img1" accept="image/*"></label>
  <label>Photo 2 (optional) <input type="file" id="img2" accept="image/*"></label>
  <label>Token (if the server needs one) <input type="password" id="token" size="16"></label>
  <button id="go">Compare / analyse</button>
</fieldset>
<div id="result" data-boxes="0" data-state="idle">
  <div id="verdict">Choose two photos to compare, or one to analyse.</div>
  <div id="canvases"></div>
  <pre id="details"></pre>
</div>
<script>
const $ = (id) => document.getElementById(id);

function loadImage(file) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(file.name + ': the browser cannot show this image'));
    img.src = URL.createObjectURL(file);
  });
}

// Draws the photo with one box per facial area; returns how many boxes were drawn.
async function drawWithBoxes(file, areas, labels) {
  const img = await loadImage(file);
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const g = canvas.getContext('2d');
  g.drawImage(img, 0, 0);
  g.lineWidth = Math.max(2, canvas.width / 200);
  g.font = Math.max(14, canvas.width / 30) + 'px sans-serif';
  let drawn = 0;
  areas.forEach((a, i) => {
    if (!a || !(a.w > 0 && a.h > 0)) return;
    g.strokeStyle = '#00c853';
    g.strokeRect(a.x, a.y, a.w, a.h);
    if (labels && labels[i]) { g.fillStyle = '#00c853'; g.fillText(labels[i], a.x, Math.max(16, a.y - 6)); }
    drawn++;
  });
  canvas.className = 'photo';
  canvas.dataset.boxes = drawn;
  $('canvases').appendChild(canvas);
  return drawn;
}

async function call(route, form) {
  const headers = {};
  if ($('token').value) headers['Authorization'] = 'Bearer ' + $('token').value;
  const response = await fetch(route, { method: 'POST', body: form, headers });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || ('HTTP ' + response.status));
  return body;
}

function show(text, cls) { $('verdict').textContent = text; $('verdict').className = cls || ''; }

$('go').addEventListener('click', async () => {
  const f1 = $('img1').files[0], f2 = $('img2').files[0];
  $('canvases').innerHTML = '';
  $('details').textContent = '';
  $('result').dataset.boxes = 0;
  $('result').dataset.state = 'busy';
  try {
    if (!f1) throw new Error('choose at least one photo');
    let boxes = 0;
    if (f2) {
      show('Comparing...');
      const form = new FormData();
      form.append('img1', f1);
      form.append('img2', f2);
      const r = await call('/verify', form);
      show((r.verified ? 'Same person' : 'Different people') + ' (distance ' + r.distance.toFixed(3) +
           (r.verified ? ' <= ' : ' > ') + 'threshold ' + r.threshold.toFixed(3) + ')', r.verified ? 'same' : 'different');
      boxes += await drawWithBoxes(f1, [r.facial_areas.img1]);
      boxes += await drawWithBoxes(f2, [r.facial_areas.img2]);
      $('details').textContent = JSON.stringify(r, null, 2);
    } else {
      show('Analysing...');
      const form = new FormData();
      form.append('img', f1);
      const r = await call('/analyze', form);
      const labels = r.results.map((f) => [f.age !== undefined ? Math.round(f.age) : null, f.dominant_gender,
                                           f.dominant_emotion].filter((x) => x !== null && x !== undefined).join(', '));
      show(r.results.length + (r.results.length === 1 ? ' face: ' : ' faces: ') + labels.join('; '), 'same');
      boxes += await drawWithBoxes(f1, r.results.map((f) => f.facial_area), labels);
      $('details').textContent = JSON.stringify(r.results, null, 2);
    }
    $('result').dataset.boxes = boxes;
    $('result').dataset.state = 'done';
  } catch (e) {
    show(e.message, 'error');
    $('result').dataset.state = 'error';
  }
});
</script>
</body>
</html>
)HTML";
}

}  // namespace facekit::server
