//! The session's editing half: what the pad holds becomes an edit of the loaded model (SDEdit,
//! inpainting, inversion), two clicked images of a sampled grid an interpolation; each refusal is
//! a sentence where the person is, and nothing already on the page is lost.

use zoo::EditSpec;

use super::{EditKind, Painted, Session};

/// The chain of an interpolation between images `a` and `b` of the grid `grid` sampled (`of`
/// images), as `n` images (at least 2): the grid's seed, sampler and steps, each end's class.
pub fn interpolation(
    grid: &zoo::ChainSpec,
    of: usize,
    [a, b]: [usize; 2],
    n: usize,
) -> (zoo::ChainSpec, EditSpec) {
    let class = |i: usize| grid.classes.get(i).copied();
    let classes = [class(a), class(b)];
    let mut spec = grid.clone();
    spec.n = n.max(2);
    spec.classes.clear();
    (spec, EditSpec::Interpolate { of, a, b, classes })
}

impl Session {
    /// An edit of the pad's image.
    pub(super) fn edit(&mut self, kind: EditKind, painted: Painted, now: f64) {
        if painted.empty {
            let verb = match kind {
                EditKind::Sdedit => "SDEdit",
                EditKind::Inpaint => "Inpaint",
                EditKind::Invert => "Invert",
            };
            return self.say(
                "warning",
                Some("empty-drawing"),
                format!(
                    "The drawing is empty: draw on it (press and drag), open an image or use the \
                     followed image, then press {verb}."
                ),
            );
        }
        let Painted { image, mask, .. } = painted;
        let edit = match kind {
            EditKind::Sdedit => EditSpec::Sdedit {
                image,
                strength: self.settings.strength(),
            },
            EditKind::Inpaint => {
                let painted = mask.iter().filter(|m| **m > 0.0).count();
                if painted == 0 {
                    return self.say(
                        "warning",
                        Some("mask"),
                        "The mask covers nothing: choose the Mask brush and paint over the part \
                         to regenerate, then Inpaint.",
                    );
                }
                if mask.iter().all(|m| *m >= 0.999) {
                    return self.say(
                        "warning",
                        Some("mask"),
                        "The mask covers the whole image, so nothing would be kept: that is \
                         sampling (press Sample), or Undo and leave the part to keep unpainted.",
                    );
                }
                EditSpec::Inpaint {
                    image,
                    keep: mask.iter().map(|m| 1.0 - m).collect(),
                    jump: self.settings.values.int("jump") as usize,
                    resample: self.settings.values.int("resample") as usize,
                }
            }
            EditKind::Invert => EditSpec::Invert {
                image,
                class: self
                    .settings
                    .edit_class(self.model.built().and_then(|(_, c)| c)),
            },
        };
        self.start(now, Some(edit));
    }

    /// An interpolation between the last two images clicked in the sampled grid, with the
    /// grid's seed, sampler and classes, as many images as the settings' n.
    pub(super) fn interpolate(&mut self, now: f64) {
        let loaded = self.model.built().map(|(id, _)| id.to_string());
        let grid = self
            .record
            .as_ref()
            .filter(|r| r.edit.is_none() && r.total_ms.is_some())
            .filter(|r| loaded.as_deref() == Some(r.model.as_str()))
            .and_then(|r| r.spec.clone().map(|spec| (spec, r.grid.n)));
        let Some((spec, of)) = grid else {
            return self.say(
                "warning",
                Some("interpolate"),
                "Interpolation walks between two images of a grid this model sampled: press \
                 Sample, click two of its images, then Interpolate.",
            );
        };
        let [a, b] = self.picked[..] else {
            return self.say(
                "warning",
                Some("interpolate"),
                "Click two images of the grid (the last two clicked are the ends), then \
                 Interpolate.",
            );
        };
        let n = self.settings.values.int("n") as usize;
        let (spec, edit) = interpolation(&spec, of, [a, b], n);
        if diffusion::sampler::info(&spec.sampler).is_some_and(|i| i.draws_noise(&spec.options)) {
            self.say(
                "info",
                Some("interpolate-sampler"),
                format!(
                    "The grid's sampler ({}) draws noise as it steps, so one start has many ends: \
                     the strip is sampled deterministically (DDIM with η = 0, or Heun on the \
                     PF-ODE), and its ends are near the images you clicked, not the same. Sample \
                     the grid with a deterministic sampler (dpm++2m, euler, heun, ddim with \
                     η = 0) for ends that are.",
                    spec.sampler
                ),
            );
        }
        self.start_spec(now, spec, Some(edit));
    }

    /// A chain finished: an inversion says how well it came back.
    pub(super) fn edit_finished(&mut self) {
        let (Some(EditSpec::Invert { image, class }), Some(rec)) = (&self.run_edit, &self.record)
        else {
            return;
        };
        let Some(back) = rec.last_x.get(..image.len()) else {
            return;
        };
        let (max, mean) = zoo::chain::abs_error(back, image);
        self.inversion_error = Some((mean, max));
        let steps = rec.len / 2;
        let second = match class {
            Some(k) => format!("; the second is the same noise sampled as class {k}"),
            None => String::new(),
        };
        self.say(
            "info",
            Some("inversion"),
            format!(
                "Inverted in {steps} steps and back: mean |error| {mean:.4} per pixel, largest \
                 {max:.3} (pixels in [−1, 1]). The first image is the reconstruction{second}."
            ),
        );
    }
}

impl Session {
    /// The image followed in the finished grid ([C·H·W] in [−1, 1], and [C, H, W]), for the pad.
    pub fn followed_image(&self) -> Result<(Vec<f32>, [usize; 3]), String> {
        let rec = self
            .record
            .as_ref()
            .filter(|r| r.total_ms.is_some())
            .ok_or("Sample first, then click the image to take to the pad.")?;
        let i = self
            .follow
            .ok_or("Click an image of the grid to follow it first, then take it to the pad.")?;
        let g = rec.grid;
        let numel = g.c * g.h * g.w;
        let image = rec
            .last_x
            .get(i * numel..(i + 1) * numel)
            .ok_or("The followed image is gone: sample again.")?;
        Ok((
            image.iter().map(|v| v.clamp(-1.0, 1.0)).collect(),
            [g.c, g.h, g.w],
        ))
    }
}
