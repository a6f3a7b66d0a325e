"""Ground-truth evaluation of `kineto animate` (run through scripts/eval-portrait, which prepares the tools).

Two measurements, both self-reenactment: the first frame of a clip is the portrait, the clip drives it, and the
ideal output is the clip itself.

1. Known background: a person is cut out of a real photo (MediaPipe's selfie segmentation), placed over a different
   real background, and moved as a layer (shift, scale ±10%, rotation ±8°) at 512². Every pixel of the ideal output
   is known. Reported: PSNR/SSIM of the frame and of the face region, and the halo figure (mean absolute error, in
   grey levels, in the band 3-25 px outside the true silhouette where neither that frame's nor the first frame's
   silhouette covers it). A framing case cuts from a medium shot to a 2x close-up and then zooms slowly by 1.5x:
   the output's eye distance is measured on every frame against the portrait's. An expression case warps a photo's
   face toward another photo's expression of the same person (pose removed) and back.
2. Real talking heads (psychopy's jwpIntro.mp4 and testMovie.mp4): frame 0 is the portrait, the rest drive it, at
   256²; reported beside the trivial answer, the still portrait repeated.

Face regions and eye distances come from MediaPipe's face landmark model (LiteRT), tracked the way Kineto does.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image
from ai_edge_litert.interpreter import Interpreter

MODELS = os.path.expanduser(os.environ.get("KINETO_MODEL_DIR", "~/.local/share/kineto/models")) + "/mediapipe"
GOLDEN = os.environ.get("KINETO_GOLDEN_DIR")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if not GOLDEN:
    GOLDEN = os.path.join(ROOT, "Tests", "Fixtures", "golden")
MEDIA = os.path.expanduser(os.environ.get("KINETO_TEST_MEDIA", "~/.cache/kineto/test-media"))

# People: photo, and a rough face centre and side in photo pixels (only to start the landmark tracker).
PEOPLE = {
    "biden": ("faces/biden.jpg", (570, 330), 330),
    "obama": ("faces/obama.jpg", (485, 243), 270),
    "obama2": ("faces/obama2.jpg", (344, 417), 313),
    "obama3": ("faces/obama3.jpg", (765, 430), 287),
}
# Real backgrounds without people: a camera pan over a tree (OpenCV's sample, in samples/) and two frames of the
# golden interpolation set.
BACKGROUNDS = {
    "tree": ("video", os.path.join(ROOT, "samples", "tree.avi"), 100),
    "I0_0": ("image", "frames/I0_0.png", 0),
    "i0": ("image", "frames/i0.png", 0),
}
CASES = [("biden", "tree"), ("obama", "I0_0"), ("obama3", "i0"), ("obama2", "I0_0")]

LEFT_EYE = [33, 133, 160, 159, 158, 144, 145, 153]
RIGHT_EYE = [362, 263, 387, 386, 385, 373, 374, 380]


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    return r.stdout + r.stderr


# ---------------------------------------------------------------- models

class Landmarker:
    def __init__(self):
        self.it = Interpreter(model_path=f"{MODELS}/face_landmark.tflite")
        self.it.allocate_tensors()
        self.inp = self.it.get_input_details()[0]["index"]
        outs = self.it.get_output_details()
        self.pts = [o["index"] for o in outs if o["shape"][-1] == 1404][0]
        self.flag = [o["index"] for o in outs if o["shape"][-1] == 1][0]

    def crop_landmarks(self, img, cx, cy, side, depth=False):
        """468 (x, y) in image pixels from the square crop (centre, side) (with `depth`: x, y, z); and the face
        probability."""
        x0, y0 = cx - side / 2, cy - side / 2
        s = side / 192
        crop = Image.fromarray(img).transform((192, 192), Image.AFFINE, (s, 0, x0, 0, s, y0), resample=Image.BILINEAR)
        self.it.set_tensor(self.inp, (np.asarray(crop, np.float32) / 255)[None])
        self.it.invoke()
        p = self.it.get_tensor(self.pts).reshape(468, 3) * s + np.array([x0, y0, 0])
        if not depth:
            p = p[:, :2]
        flag = 1 / (1 + np.exp(-self.it.get_tensor(self.flag).ravel()[0]))
        return p, flag

    def refine(self, img, cx, cy, side, rounds=3, depth=False):
        p, f = None, 0
        for _ in range(rounds):
            p, f = self.crop_landmarks(img, cx, cy, side, depth)
            lo, hi = p[:, :2].min(0), p[:, :2].max(0)
            cx, cy = (lo + hi) / 2
            side = max(hi - lo) * 1.25
        return p, f


class Segmenter:
    def __init__(self):
        self.it = Interpreter(model_path=f"{MODELS}/selfie_segmentation.tflite")
        self.it.allocate_tensors()

    def mask(self, img):
        h, w = img.shape[:2]
        x = np.asarray(Image.fromarray(img).resize((256, 256), Image.BILINEAR), np.float32) / 255
        self.it.set_tensor(self.it.get_input_details()[0]["index"], x[None])
        self.it.invoke()
        m = self.it.get_tensor(self.it.get_output_details()[0]["index"])[0, :, :, 0]
        return np.asarray(Image.fromarray(m.astype(np.float32), "F").resize((w, h), Image.BILINEAR))


def track(frames, landmarker, start):
    """Landmarks of every frame, each frame's crop from the previous frame's landmarks (None where lost)."""
    out, crop = [], start
    for f in frames:
        p, flag = landmarker.refine(f, *crop, rounds=2)
        if flag < 0.5:
            out.append(None)
            continue
        lo, hi = p.min(0), p.max(0)
        crop = ((lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, max(hi - lo) * 1.25)
        out.append(p)
    return out


def eye_distance(p):
    return float(np.linalg.norm(p[LEFT_EYE].mean(0) - p[RIGHT_EYE].mean(0)))


# ---------------------------------------------------------------- metrics

def gauss_blur(x, sigma=1.5, radius=5):
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k /= k.sum()
    pad = np.pad(x, ((radius, radius), (radius, radius)), mode="reflect")
    tmp = sum(k[i] * pad[:, i:i + x.shape[1]] for i in range(len(k)))
    return sum(k[i] * tmp[i:i + x.shape[0], :] for i in range(len(k)))


def luma(img):
    return img[..., 0] * 0.299 + img[..., 1] * 0.587 + img[..., 2] * 0.114


def ssim(a, b):
    """SSIM of the luma (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5), mean over the picture."""
    a, b = luma(a.astype(np.float64)), luma(b.astype(np.float64))
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    ma, mb = gauss_blur(a), gauss_blur(b)
    va, vb, cov = gauss_blur(a * a) - ma * ma, gauss_blur(b * b) - mb * mb, gauss_blur(a * b) - ma * mb
    m = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
    return float(m.mean())


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 99.0 if mse == 0 else float(10 * np.log10(255 ** 2 / mse))


def face_box(p, w, h, grow=1.15):
    lo, hi = p.min(0), p.max(0)
    c, half = (lo + hi) / 2, (hi - lo).max() / 2 * grow
    x0, y0 = int(max(0, c[0] - half)), int(max(0, c[1] - half))
    x1, y1 = int(min(w, c[0] + half)), int(min(h, c[1] + half))
    return x0, y0, x1, y1


def dilate(m, r):
    """Dilation by about r pixels (alternating square and cross steps: an octagon, close to a disc)."""
    m = m.copy()
    for i in range(r):
        p = np.pad(m, 1)
        d = p[1:-1, 1:-1] | p[:-2, 1:-1] | p[2:, 1:-1] | p[1:-1, :-2] | p[1:-1, 2:]
        if i % 2:
            d |= p[:-2, :-2] | p[:-2, 2:] | p[2:, :-2] | p[2:, 2:]
        m = d
    return m


# ---------------------------------------------------------------- media

def read_video(path, size=None):
    info = json.loads(run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                           "-of", "json", path]))["streams"][0]
    w, h = (size, size) if size else (info["width"], info["height"])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", path] + (["-vf", f"scale={w}:{h}"] if size else [])
                         + ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def write_video(frames, path, rate=25):
    h, w = frames[0].shape[:2]
    p = subprocess.Popen(["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
                          "-r", str(rate), "-i", "-", "-c:v", "ffv1", "-pix_fmt", "yuv444p", path], stdin=subprocess.PIPE)
    for f in frames:
        p.stdin.write(np.ascontiguousarray(f).tobytes())
    p.stdin.close()
    if p.wait() != 0:
        sys.exit(f"ffmpeg failed writing {path}")


def background(name, side):
    kind, path, frame = BACKGROUNDS[name]
    if kind == "video":
        img = read_video(path)[frame]
    else:
        img = np.asarray(Image.open(os.path.join(GOLDEN, path)).convert("RGB"))
    h, w = img.shape[:2]
    s = min(w, h)
    img = img[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
    return np.asarray(Image.fromarray(img).resize((side, side), Image.BICUBIC), np.float32)


def animate(kineto, portrait, driving, out, side, extra=()):
    t = time.time()
    log = run([kineto, "animate", portrait, driving, out, "--crop", "none", "--size", str(side), "--codec", "ffv1",
               "--overwrite", "--quiet", *extra])
    return time.time() - t, log


# ---------------------------------------------------------------- 1. known background

class Scene:
    """A person layer (photo + mask) placed over a background at side², movable as a rigid layer."""

    def __init__(self, person, bg, side, seg, landmarker, face_frac=0.30, face_y=0.40):
        path, (fx, fy), fside = PEOPLE[person]
        self.photo = np.asarray(Image.open(os.path.join(GOLDEN, path)).convert("RGB"))
        p, _ = landmarker.refine(self.photo, fx, fy, fside * 1.6)
        lo, hi = p.min(0), p.max(0)
        self.face_center = (lo + hi) / 2
        fside = (hi - lo).max()
        self.side = side
        self.k = fside / (face_frac * side)            # photo pixels per frame pixel
        self.anchor = np.array([side / 2, face_y * side])  # where the face centre sits in the frame at rest
        # Segment a square around the region the frame shows (with margin for the motion), at the model's 256².
        region = 1.5 * side * self.k
        x0, y0 = self.face_center[0] - region / 2, self.face_center[1] - face_y * region - 0.05 * region
        crop = Image.fromarray(self.photo).transform((512, 512), Image.AFFINE, (region / 512, 0, x0, 0, region / 512, y0),
                                                     resample=Image.BICUBIC)
        m = seg.mask(np.asarray(crop))
        full = Image.fromarray(m.astype(np.float32), "F").transform(
            (self.photo.shape[1], self.photo.shape[0]), Image.AFFINE,
            (512 / region, 0, -x0 * 512 / region, 0, 512 / region, -y0 * 512 / region), resample=Image.BILINEAR)
        self.mask = np.asarray(full, np.float32)
        self.bg = background(bg, side)

    def frame(self, shift=(0, 0), scale=1.0, angle_deg=0.0):
        """The composite and the person's alpha with the layer moved about the face centre."""
        a = np.deg2rad(angle_deg)
        c, s = np.cos(a), np.sin(a)
        # frame point x shows layer point x' = anchor + R(-a)(x - anchor - shift)/scale; photo = face + k (x' - anchor)
        inv = np.array([[c, s], [-s, c]]) / scale * self.k
        off = self.face_center - inv @ (self.anchor + np.array(shift))
        data = (inv[0, 0], inv[0, 1], off[0], inv[1, 0], inv[1, 1], off[1])
        size = (self.side, self.side)
        person = np.asarray(Image.fromarray(self.photo).transform(size, Image.AFFINE, data, resample=Image.BICUBIC), np.float32)
        alpha = np.asarray(Image.fromarray(self.mask, "F").transform(size, Image.AFFINE, data, resample=Image.BILINEAR))[..., None]
        alpha = np.clip(alpha, 0, 1)
        out = alpha * person + (1 - alpha) * self.bg
        return np.clip(out + 0.5, 0, 255).astype(np.uint8), alpha[..., 0]


def motion(n, rate=25):
    """Shift (±20 px), scale (±10%) and rotation (±8°), smooth, starting at rest."""
    for i in range(n):
        t = i / rate
        yield ((20 * np.sin(2 * np.pi * t / 2.0), 12 * np.sin(2 * np.pi * t / 1.4)), 1 + 0.10 * np.sin(2 * np.pi * t / 1.7),
               8 * np.sin(2 * np.pi * t / 2.3))


def evaluate_known_background(kineto, work, seg, landmarker, n=50, side=512, keep=None):
    rows = []
    for person, bg in CASES:
        scene = Scene(person, bg, side, seg, landmarker)
        frames, alphas = zip(*[scene.frame(*m) for m in motion(n)])
        driving = os.path.join(work, f"gt-{person}-{bg}.mkv")
        portrait = os.path.join(work, f"gt-{person}-{bg}.png")
        write_video(frames, driving)
        Image.fromarray(frames[0]).save(portrait)
        out = os.path.join(work, f"gt-{person}-{bg}-out.mkv")
        seconds, _ = animate(kineto, portrait, driving, out, side)
        result = read_video(out)
        if keep:
            os.makedirs(keep, exist_ok=True)
            for f in (driving, out):
                subprocess.run(["cp", f, keep])
        truth_landmarks = track(frames, landmarker, (scene.anchor[0], scene.anchor[1], side * 0.3 * 1.6))
        silhouette0 = alphas[0] > 0.5
        m = {"psnr": [], "ssim": [], "face_psnr": [], "face_ssim": [], "halo": [], "head_halo": []}
        for i in range(1, n):
            gt, out_f = frames[i], result[i]
            m["psnr"].append(psnr(out_f, gt))
            m["ssim"].append(ssim(out_f, gt))
            p = truth_landmarks[i]
            if p is not None:
                x0, y0, x1, y1 = face_box(p, side, side)
                m["face_psnr"].append(psnr(out_f[y0:y1, x0:x1], gt[y0:y1, x0:x1]))
                m["face_ssim"].append(ssim(out_f[y0:y1, x0:x1], gt[y0:y1, x0:x1]))
            sil = alphas[i] > 0.5
            band = dilate(sil, 25) & ~dilate(sil, 3) & ~silhouette0
            if band.any():
                err = np.abs(out_f.astype(np.float64) - gt.astype(np.float64))
                m["halo"].append(float(err[band].mean()))
                # The same band around the head only (above the chin): the ring that follows the head.
                if p is not None:
                    head = band.copy()
                    head[int(p[152, 1]):, :] = False
                    if head.any():
                        m["head_halo"].append(float(err[head].mean()))
        row = {"case": f"{person} on {bg}", "seconds": seconds}
        for k, v in m.items():
            row[k] = float(np.mean(v)) if v else float("nan")
            row[k + "_worst"] = float(np.min(v) if "psnr" in k or "ssim" in k else np.max(v)) if v else float("nan")
        rows.append(row)
        print(f"  {row['case']}: frame {row['psnr']:.2f} dB / {row['ssim']:.4f}, face {row['face_psnr']:.2f} dB "
              f"(worst {row['face_psnr_worst']:.2f}) / {row['face_ssim']:.4f}, halo {row['halo']:.2f} (worst {row['halo_worst']:.2f}), "
              f"around the head {row['head_halo']:.2f} (worst {row['head_halo_worst']:.2f})",
              flush=True)
    return rows


RIGID = [10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 33, 133, 362, 263, 127, 356, 234, 454, 93, 323,
         109, 338, 67, 297, 103, 332, 116, 345, 50, 280]


def tps_warp(img, src, dst, grid=128):
    """`img` warped so that the points `src` move to `dst` (thin-plate spline, solved from dst to src so every output
    pixel samples the input; displacements evaluated on a grid x grid lattice and interpolated)."""
    h, w = img.shape[:2]
    n = len(dst)
    def u(r2):
        return np.where(r2 > 0, r2 * np.log(np.maximum(r2, 1e-12)) / 2, 0.0)
    k = u(((dst[:, None, :] - dst[None, :, :]) ** 2).sum(2))
    p = np.hstack([np.ones((n, 1)), dst])
    a = np.zeros((n + 3, n + 3))
    a[:n, :n], a[:n, n:], a[n:, :n] = k + 1e-3 * np.eye(n), p, p.T
    rhs = np.zeros((n + 3, 2))
    rhs[:n] = src - dst
    coef = np.linalg.solve(a, rhs)
    gy, gx = np.meshgrid(np.linspace(0, h - 1, grid), np.linspace(0, w - 1, grid), indexing="ij")
    q = np.stack([gx.ravel(), gy.ravel()], 1)
    d = u(((q[:, None, :] - dst[None, :, :]) ** 2).sum(2)) @ coef[:n] + np.hstack([np.ones((len(q), 1)), q]) @ coef[n:]
    flow = [np.asarray(Image.fromarray(d[:, c].reshape(grid, grid).astype(np.float32), "F").resize((w, h), Image.BILINEAR))
            for c in range(2)]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    sx, sy = np.clip(xs + flow[0], 0, w - 1.001), np.clip(ys + flow[1], 0, h - 1.001)
    x0, y0 = sx.astype(int), sy.astype(int)
    fx, fy = (sx - x0)[..., None], (sy - y0)[..., None]
    im = img.astype(np.float32)
    out = (im[y0, x0] * (1 - fx) * (1 - fy) + im[y0, x0 + 1] * fx * (1 - fy) + im[y0 + 1, x0] * (1 - fx) * fy
           + im[y0 + 1, x0 + 1] * fx * fy)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def evaluate_expression(kineto, work, seg, landmarker, n=50, side=512):
    """Expression change with ground truth: obama.jpg (smiling, lips closed over the teeth) over a background, its face
    warped toward the expression of obama2.jpg (speaking, mouth open) and back. obama2's 3D landmarks are mapped onto
    obama's by the 3D affine map that best fits their rigid points (removing head pose, lens and distance: what is
    left is expression); the driving frames move obama's landmarks along that difference and warp the portrait with
    them (thin-plate spline, the frame border pinned). The ideal output is the clip itself."""
    scene = Scene("obama", "I0_0", side, seg, landmarker)
    f0 = scene.frame()[0]
    a, _ = landmarker.refine(f0, *scene.anchor, side * 0.3 * 1.6, depth=True)
    other = np.asarray(Image.open(os.path.join(GOLDEN, PEOPLE["obama2"][0])).convert("RGB"))
    _, (cx, cy), s = PEOPLE["obama2"]
    b, _ = landmarker.refine(other, cx, cy, s * 1.6, depth=True)
    hb = np.hstack([b, np.ones((len(b), 1))])
    fit, *_ = np.linalg.lstsq(hb[RIGID], a[RIGID], rcond=None)
    b_on_a = (hb @ fit)[:, :2]
    a = a[:, :2]
    border = [(x, y) for x in np.linspace(0, side - 1, 9) for y in (0, side - 1)] + \
             [(x, y) for y in np.linspace(0, side - 1, 9)[1:-1] for x in (0, side - 1)]
    border = np.array(border, float)
    frames = []
    for i in range(n):
        t = 0.5 - 0.5 * np.cos(2 * np.pi * i / (n - 1))  # 0 -> 1 -> 0
        target = (1 - t) * a + t * b_on_a
        frames.append(tps_warp(f0, np.vstack([a, border]), np.vstack([target, border])) if i else f0)
    driving = os.path.join(work, "expression.mkv")
    portrait = os.path.join(work, "expression.png")
    write_video(frames, driving)
    Image.fromarray(frames[0]).save(portrait)
    out = os.path.join(work, "expression-out.mkv")
    animate(kineto, portrait, driving, out, side)
    result = read_video(out)
    lm = track(frames, landmarker, (scene.anchor[0], scene.anchor[1], side * 0.3 * 1.6))
    m = {"face_psnr": [], "face_ssim": [], "still_face_psnr": [], "still_face_ssim": []}
    for i in range(1, n):
        if lm[i] is None:
            continue
        x0, y0, x1, y1 = face_box(lm[i], side, side)
        gt = frames[i][y0:y1, x0:x1]
        m["face_psnr"].append(psnr(result[i][y0:y1, x0:x1], gt))
        m["face_ssim"].append(ssim(result[i][y0:y1, x0:x1], gt))
        m["still_face_psnr"].append(psnr(frames[0][y0:y1, x0:x1], gt))
        m["still_face_ssim"].append(ssim(frames[0][y0:y1, x0:x1], gt))
    row = {k: float(np.mean(v)) for k, v in m.items()}
    row["face_psnr_worst"] = float(np.min(m["face_psnr"]))
    print(f"  obama -> obama2's expression and back: face {row['face_psnr']:.2f} dB (worst {row['face_psnr_worst']:.2f}) / "
          f"{row['face_ssim']:.4f}; still frame {row['still_face_psnr']:.2f} dB / {row['still_face_ssim']:.4f}", flush=True)
    return row


def evaluate_framing(kineto, work, seg, landmarker, side=512, rate=25):
    """Medium shot 2 s (gentle motion), cut to a 2x close-up held 1 s, then a slow zoom to 1.5x of that over 2 s."""
    scene = Scene("biden", "I0_0", side, seg, landmarker)
    frames = []
    for i in range(2 * rate):
        t = i / rate
        frames.append(scene.frame((6 * np.sin(2 * np.pi * t / 2), 0), 1.0, 3 * np.sin(2 * np.pi * t / 2))[0])
    for i in range(rate):
        frames.append(scene.frame((0, 0), 2.0, 0)[0])
    for i in range(2 * rate):
        z = 2.0 * (1 + 0.5 * (i + 1) / (2 * rate))
        frames.append(scene.frame((0, 0), z, 0)[0])
    driving = os.path.join(work, "framing.mkv")
    portrait = os.path.join(work, "framing.png")
    write_video(frames, driving)
    Image.fromarray(frames[0]).save(portrait)
    out = os.path.join(work, "framing-out.mkv")
    animate(kineto, portrait, driving, out, side)
    result = read_video(out)
    lm = track(result, landmarker, (scene.anchor[0], scene.anchor[1], side * 0.3 * 1.6))
    ref = eye_distance(lm[0])
    ratios = [eye_distance(p) / ref if p is not None else float("nan") for p in lm]
    steps = [abs(b / a - 1) for a, b in zip(ratios, ratios[1:])]
    row = {"frames": len(ratios), "ratio_min": float(np.nanmin(ratios)), "ratio_max": float(np.nanmax(ratios)),
           "max_step": float(np.nanmax(steps)), "lost": int(sum(p is None for p in lm)), "ratios": ratios}
    print(f"  framing: eye distance {row['ratio_min']:.3f}-{row['ratio_max']:.3f}x the portrait's, largest change between "
          f"frames {100 * row['max_step']:.1f}% (face lost in {row['lost']} frames)", flush=True)
    return row


# ---------------------------------------------------------------- 2. talking heads

TALKING = {
    # clip, square crop (x, y, side) around the head and shoulders in the clip's pixels
    "jwpIntro": ("jwpIntro.mp4", (70, 0, 400)),
    "testMovie": ("testMovie.mp4", (0, 0, 288)),
}


def evaluate_talking(kineto, work, landmarker, side=256):
    rows = []
    for name, (clip, (x, y, s)) in TALKING.items():
        path = os.path.join(MEDIA, clip)
        if not os.path.exists(path):
            print(f"  {name}: {path} missing (scripts/eval-portrait fetches it)")
            continue
        frames = read_video(path)
        frames = [np.asarray(Image.fromarray(f[y:y + s, x:x + s]).resize((side, side), Image.BICUBIC)) for f in frames]
        driving = os.path.join(work, f"talk-{name}.mkv")
        portrait = os.path.join(work, f"talk-{name}.png")
        write_video(frames, driving)
        Image.fromarray(frames[0]).save(portrait)
        out = os.path.join(work, f"talk-{name}-out.mkv")
        seconds, _ = animate(kineto, portrait, driving, out, side)
        result = read_video(out)
        lm = track(frames, landmarker, (side / 2, side * 0.4, side * 0.6))
        m = {k: [] for k in ["psnr", "ssim", "face_psnr", "face_ssim", "still_psnr", "still_ssim", "still_face_psnr", "still_face_ssim"]}
        for i in range(1, len(frames)):
            gt, o, still = frames[i], result[i], frames[0]
            m["psnr"].append(psnr(o, gt)); m["ssim"].append(ssim(o, gt))
            m["still_psnr"].append(psnr(still, gt)); m["still_ssim"].append(ssim(still, gt))
            if lm[i] is not None:
                x0, y0, x1, y1 = face_box(lm[i], side, side)
                m["face_psnr"].append(psnr(o[y0:y1, x0:x1], gt[y0:y1, x0:x1]))
                m["face_ssim"].append(ssim(o[y0:y1, x0:x1], gt[y0:y1, x0:x1]))
                m["still_face_psnr"].append(psnr(still[y0:y1, x0:x1], gt[y0:y1, x0:x1]))
                m["still_face_ssim"].append(ssim(still[y0:y1, x0:x1], gt[y0:y1, x0:x1]))
        row = {"case": name, "frames": len(frames), "seconds": seconds}
        row.update({k: float(np.mean(v)) for k, v in m.items()})
        rows.append(row)
        print(f"  {name} ({len(frames)} frames): kineto frame {row['psnr']:.2f} dB / {row['ssim']:.4f}, face {row['face_psnr']:.2f} dB / "
              f"{row['face_ssim']:.4f}; still frame {row['still_psnr']:.2f} / {row['still_ssim']:.4f}, face {row['still_face_psnr']:.2f} / "
              f"{row['still_face_ssim']:.4f}; face gain {row['face_psnr'] - row['still_face_psnr']:+.2f} dB, "
              f"{row['face_ssim'] - row['still_face_ssim']:+.4f} SSIM", flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kineto", default=os.path.join(ROOT, ".build", "release", "kineto"))
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--keep", help="keep driving clips and outputs in this folder")
    ap.add_argument("--only", choices=["known", "expression", "framing", "talking"], action="append")
    args = ap.parse_args()
    seg, landmarker = Segmenter(), Landmarker()
    results = {"kineto": args.kineto, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    only = set(args.only or ["known", "expression", "framing", "talking"])
    with tempfile.TemporaryDirectory() as work:
        if "known" in only:
            print("self-reenactment, known background (512², 50 frames):", flush=True)
            results["known"] = evaluate_known_background(args.kineto, work, seg, landmarker, keep=args.keep)
        if "expression" in only:
            print("expression change, known background (512², 50 frames):", flush=True)
            results["expression"] = evaluate_expression(args.kineto, work, seg, landmarker)
            if args.keep:
                os.makedirs(args.keep, exist_ok=True)
                subprocess.run(["cp", os.path.join(work, "expression.mkv"), os.path.join(work, "expression-out.mkv"),
                                args.keep])
        if "framing" in only:
            print("framing (512², cut to a 2x close-up, then a 1.5x zoom):", flush=True)
            results["framing"] = evaluate_framing(args.kineto, work, seg, landmarker)
        if "talking" in only:
            print("self-reenactment, real talking heads (256²):", flush=True)
            results["talking"] = evaluate_talking(args.kineto, work, landmarker)
            if args.keep:
                for f in os.listdir(work):
                    if f.startswith("talk-") and f.endswith(".mkv"):
                        subprocess.run(["cp", os.path.join(work, f), args.keep])
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
