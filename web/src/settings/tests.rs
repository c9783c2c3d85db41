//! The settings table's reading, writing, redo decisions and `hide=`, on a small table.

use super::*;

fn table() -> Vec<Setting> {
    vec![
        Setting::new(
            "steps",
            "steps",
            Kind::Int { min: 1, max: 1000 },
            Value::Int(50),
        )
        .on_change(Effect::Resample),
        Setting::new(
            "lr",
            "lr",
            Kind::Float {
                min: 1e-6,
                max: 1.0,
            },
            Value::Float(1e-3),
        )
        .on_change(Effect::Retune),
        Setting::new(
            "data",
            "data",
            Kind::Choice(names(&["a", "b"])),
            Value::Text("a".into()),
        )
        .on_change(Effect::Rebuild),
        Setting::new("autoplay", "", Kind::Flag, Value::Flag(false)),
    ]
}

#[test]
fn reads_every_kind_and_falls_back_with_a_warning() {
    let mut h = HashState::parse("#steps=20&lr=3e-4&data=b&autoplay");
    let v = Values::read(&table(), &mut h);
    assert!(h.warnings.is_empty(), "{:?}", h.warnings);
    assert_eq!(
        (v.int("steps"), v.float("lr"), v.text("data")),
        (20, 3e-4, "b")
    );
    assert!(v.flag("autoplay"));
    let mut bad = HashState::parse("#steps=0&lr=NaN&data=z&autoplay=yes");
    let v = Values::read(&table(), &mut bad);
    assert_eq!(
        (v.int("steps"), v.float("lr"), v.text("data")),
        (50, 1e-3, "a")
    );
    assert!(!v.flag("autoplay"));
    assert_eq!(bad.warnings.len(), 4, "{:?}", bad.warnings);
    assert!(
        bad.warnings[2].contains("not one of a, b"),
        "{:?}",
        bad.warnings
    );
}

#[test]
fn writes_only_what_differs_and_round_trips() {
    let t = table();
    let mut h = HashState::parse("#widget=x&steps=20&data=a");
    let v = Values::read(&t, &mut h);
    v.write(&t, &mut h);
    let hash = h.to_hash();
    assert!(
        hash.contains("steps=20") && !hash.contains("data="),
        "{hash}"
    );
    assert_eq!(Values::read(&t, &mut HashState::parse(&hash)), v);
}

#[test]
fn a_change_says_what_to_redo() {
    let t = table();
    let a = Values::read(&t, &mut HashState::parse(""));
    let b = Values::read(&t, &mut HashState::parse("#lr=0.01&steps=3"));
    let c = Changes::between(&t, &a, &b);
    assert!(c.retune && c.resample && !c.rebuild && !c.redraw);
    assert!(!Changes::between(&t, &a, &a).any());
}

#[test]
fn hide_names_panels_or_keys() {
    let mut h = HashState::parse("#hide=steps,buttons,wings");
    assert_eq!(
        hidden(&mut h, &["buttons"], &table()),
        ["steps", "buttons", "wings"]
    );
    assert_eq!(h.warnings.len(), 1);
    assert!(
        h.warnings[0].contains("steps, lr, data, autoplay"),
        "{:?}",
        h.warnings
    );
}
