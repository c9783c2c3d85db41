//! The U-Net's configuration, read from (and written as) a diffusers `UNet2DModel` config.json.
//! Only the block types and options this U-Net implements are accepted; anything else is a
//! [`ModelError::Config`] that names the field.

use serde::{Deserialize, Serialize};

use crate::ModelError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UNetConfig {
    pub sample_size: usize,
    pub in_channels: usize,
    pub out_channels: usize,
    pub center_input_sample: bool,
    pub time_embedding_type: String,
    pub freq_shift: f64,
    pub flip_sin_to_cos: bool,
    pub down_block_types: Vec<String>,
    pub mid_block_type: Option<String>,
    pub up_block_types: Vec<String>,
    pub block_out_channels: Vec<usize>,
    pub layers_per_block: usize,
    pub mid_block_scale_factor: f64,
    pub downsample_padding: usize,
    pub downsample_type: String,
    pub upsample_type: String,
    pub dropout: f64,
    pub act_fn: String,
    pub attention_head_dim: Option<usize>,
    pub norm_num_groups: usize,
    pub attn_norm_num_groups: Option<usize>,
    pub norm_eps: f64,
    pub resnet_time_scale_shift: String,
    pub add_attention: bool,
    pub class_embed_type: Option<String>,
    pub num_class_embeds: Option<usize>,
    pub num_train_timesteps: Option<usize>,
}

impl Default for UNetConfig {
    /// diffusers' defaults for `UNet2DModel`.
    fn default() -> Self {
        Self {
            sample_size: 32,
            in_channels: 3,
            out_channels: 3,
            center_input_sample: false,
            time_embedding_type: "positional".into(),
            freq_shift: 0.0,
            flip_sin_to_cos: true,
            down_block_types: [
                "DownBlock2D",
                "AttnDownBlock2D",
                "AttnDownBlock2D",
                "AttnDownBlock2D",
            ]
            .map(String::from)
            .to_vec(),
            mid_block_type: Some("UNetMidBlock2D".into()),
            up_block_types: [
                "AttnUpBlock2D",
                "AttnUpBlock2D",
                "AttnUpBlock2D",
                "UpBlock2D",
            ]
            .map(String::from)
            .to_vec(),
            block_out_channels: vec![224, 448, 672, 896],
            layers_per_block: 2,
            mid_block_scale_factor: 1.0,
            downsample_padding: 1,
            downsample_type: "conv".into(),
            upsample_type: "conv".into(),
            dropout: 0.0,
            act_fn: "silu".into(),
            attention_head_dim: Some(8),
            norm_num_groups: 32,
            attn_norm_num_groups: None,
            norm_eps: 1e-5,
            resnet_time_scale_shift: "default".into(),
            add_attention: true,
            class_embed_type: None,
            num_class_embeds: None,
            num_train_timesteps: None,
        }
    }
}

impl UNetConfig {
    pub fn from_json(text: &str) -> Result<Self, ModelError> {
        let c: Self = serde_json::from_str(text)
            .map_err(|e| ModelError::Config(format!("config.json: {e}")))?;
        c.validate()?;
        Ok(c)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("config serialises")
    }

    /// Width of the time embedding: 4 × the first block's channels.
    pub fn time_embed_dim(&self) -> usize {
        self.block_out_channels[0] * 4
    }

    /// Whether down block `i` has attention (an `AttnDownBlock2D`).
    pub fn down_attention(&self, i: usize) -> bool {
        self.down_block_types[i] == "AttnDownBlock2D"
    }

    pub fn up_attention(&self, i: usize) -> bool {
        self.up_block_types[i] == "AttnUpBlock2D"
    }

    /// Refuses configs this U-Net does not implement, naming the field.
    pub fn validate(&self) -> Result<(), ModelError> {
        let err = |m: String| Err(ModelError::Config(m));
        let n = self.block_out_channels.len();
        if n == 0 || self.down_block_types.len() != n || self.up_block_types.len() != n {
            return err(format!(
                "block_out_channels ({n}), down_block_types ({}) and up_block_types ({}) must have the same, non-zero length",
                self.down_block_types.len(),
                self.up_block_types.len()
            ));
        }
        for t in &self.down_block_types {
            if t != "DownBlock2D" && t != "AttnDownBlock2D" {
                return err(format!(
                    "down block type {t} (supported: DownBlock2D, AttnDownBlock2D)"
                ));
            }
        }
        for t in &self.up_block_types {
            if t != "UpBlock2D" && t != "AttnUpBlock2D" {
                return err(format!(
                    "up block type {t} (supported: UpBlock2D, AttnUpBlock2D)"
                ));
            }
        }
        if self.mid_block_type.as_deref() != Some("UNetMidBlock2D") {
            return err(format!(
                "mid block type {:?} (supported: UNetMidBlock2D)",
                self.mid_block_type
            ));
        }
        let checks = [
            (
                self.time_embedding_type == "positional",
                "time_embedding_type must be positional",
            ),
            (self.act_fn == "silu", "act_fn must be silu"),
            (
                self.resnet_time_scale_shift == "default",
                "resnet_time_scale_shift must be default",
            ),
            (
                self.downsample_type == "conv",
                "downsample_type must be conv",
            ),
            (self.upsample_type == "conv", "upsample_type must be conv"),
            (
                self.class_embed_type.is_none(),
                "class_embed_type must be null (use num_class_embeds)",
            ),
            (
                self.layers_per_block >= 1,
                "layers_per_block must be at least 1",
            ),
            (
                self.downsample_padding <= 1,
                "downsample_padding must be 0 or 1",
            ),
            (
                self.attn_norm_num_groups
                    .is_none_or(|g| g == self.norm_num_groups),
                "attn_norm_num_groups must be null or equal norm_num_groups",
            ),
        ];
        for (ok, msg) in checks {
            if !ok {
                return err(msg.into());
            }
        }
        if self.in_channels == 0 || self.out_channels == 0 {
            return err("in_channels and out_channels must be at least 1".into());
        }
        if self.num_class_embeds == Some(0) {
            return err("num_class_embeds must be null or at least 1".into());
        }
        // each down block but the last halves the image, and each up block doubles it back
        let scale = 1usize << (n - 1).min(usize::BITS as usize - 1);
        if self.sample_size == 0 || self.sample_size % scale != 0 {
            return err(format!(
                "sample_size {} must be a positive multiple of {scale} ({n} blocks)",
                self.sample_size
            ));
        }
        let groups = self.norm_num_groups;
        for &c in &self.block_out_channels {
            if groups == 0 || c % groups != 0 {
                return err(format!(
                    "{c} channels do not split into {groups} norm groups"
                ));
            }
            let head = self.attention_head_dim.unwrap_or(c);
            if head == 0 || c % head != 0 {
                return err(format!(
                    "{c} channels do not split into attention heads of {head}"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_a_network_cannot_run_are_refused() {
        let good = UNetConfig {
            num_class_embeds: Some(11),
            ..UNetConfig::default()
        };
        good.validate().expect("diffusers' defaults with classes");
        let bad = [
            (
                "in_channels",
                UNetConfig {
                    in_channels: 0,
                    ..good.clone()
                },
            ),
            (
                "num_class_embeds",
                UNetConfig {
                    num_class_embeds: Some(0),
                    ..good.clone()
                },
            ),
            // four blocks halve 30 three times: the skips no longer line up
            (
                "sample_size 30",
                UNetConfig {
                    sample_size: 30,
                    ..good.clone()
                },
            ),
            (
                "sample_size 0",
                UNetConfig {
                    sample_size: 0,
                    ..good.clone()
                },
            ),
        ];
        for (what, c) in bad {
            let e = c.validate().expect_err(what).to_string();
            assert!(e.contains(what.split(' ').next().unwrap()), "{what}: {e}");
        }
    }
}
