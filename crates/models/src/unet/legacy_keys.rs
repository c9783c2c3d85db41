//! Weights saved by diffusers before its `Attention` class (e.g. google/ddpm-cifar10-32) call an
//! attention block's projections `query`, `key`, `value` and `proj_attn`; today they are `to_q`,
//! `to_k`, `to_v` and `to_out.0`, with the same shapes. diffusers renames them when it loads such a
//! file, and so does this.

use crate::safetensors::SafeTensors;

/// Renames the old attention keys of `file` to today's; returns how many it renamed. A key whose
/// new name is already taken is left as it is (the load then names it as unused).
pub fn rename_legacy_attention(file: &mut SafeTensors) -> usize {
    let old: Vec<(String, String)> = file
        .tensors
        .keys()
        .filter_map(|k| today(k).map(|new| (k.clone(), new)))
        .filter(|(_, new)| !file.tensors.contains_key(new))
        .collect();
    for (from, to) in &old {
        if let Some(t) = file.tensors.remove(from) {
            file.tensors.insert(to.clone(), t);
        }
        if let Some(d) = file.dtypes.remove(from) {
            file.dtypes.insert(to.clone(), d);
        }
    }
    old.len()
}

/// Today's name of an old attention key: `….attentions.<j>.<old>.<weight|bias>`.
fn today(key: &str) -> Option<String> {
    let parts: Vec<&str> = key.split('.').collect();
    let n = parts.len();
    if n < 4 || parts[n - 4] != "attentions" || parts[n - 3].parse::<usize>().is_err() {
        return None;
    }
    let leaf = parts[n - 1];
    if leaf != "weight" && leaf != "bias" {
        return None;
    }
    let new = match parts[n - 2] {
        "query" => "to_q",
        "key" => "to_k",
        "value" => "to_v",
        "proj_attn" => "to_out.0",
        _ => return None,
    };
    Some(format!("{}.{new}.{leaf}", parts[..n - 2].join(".")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_attention_names_become_todays_and_nothing_else_moves() {
        for (old, new) in [
            (
                "mid_block.attentions.0.query.weight",
                Some("mid_block.attentions.0.to_q.weight"),
            ),
            (
                "down_blocks.1.attentions.1.key.bias",
                Some("down_blocks.1.attentions.1.to_k.bias"),
            ),
            (
                "up_blocks.2.attentions.0.value.weight",
                Some("up_blocks.2.attentions.0.to_v.weight"),
            ),
            (
                "mid_block.attentions.0.proj_attn.bias",
                Some("mid_block.attentions.0.to_out.0.bias"),
            ),
            ("mid_block.attentions.0.group_norm.weight", None),
            ("mid_block.attentions.0.to_q.weight", None),
            ("down_blocks.0.resnets.0.conv1.weight", None),
            ("attentions.x.query.weight", None),
            ("query.weight", None),
        ] {
            assert_eq!(today(old).as_deref(), new, "{old}");
        }
    }
}
