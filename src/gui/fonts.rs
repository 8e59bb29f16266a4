//! A CJK font for egui, so Chinese scenario, place and unit names render.
//!
//! egui's built-in fonts have no CJK glyphs (they would show as boxes). WenQuanYi Micro
//! Hei (Apache-2.0, `assets/fonts/`) is compiled into the binary and appended to the
//! proportional and monospace families as a fallback: Latin text keeps egui's look,
//! every glyph egui's fonts lack comes from Micro Hei.

use std::sync::Arc;

use bevy::prelude::*;
use bevy_egui::egui::{self, FontData, FontDefinitions, FontFamily};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

/// WenQuanYi Micro Hei 0.2.0-beta, a TrueType collection (face 0 is the proportional one).
const CJK_FONT: &[u8] = include_bytes!("../../assets/fonts/wqy-microhei.ttc");
const CJK_FONT_NAME: &str = "wqy-microhei";

/// Registers the CJK fallback font on the primary egui context once.
pub fn plugin(app: &mut App) {
    app.add_systems(EguiPrimaryContextPass, install_cjk_font);
}

/// egui's default fonts plus the CJK fallback for both families.
pub fn font_definitions() -> FontDefinitions {
    let mut fonts = FontDefinitions::default();
    fonts.font_data.insert(
        CJK_FONT_NAME.to_owned(),
        Arc::new(FontData::from_static(CJK_FONT)),
    );
    for family in [FontFamily::Proportional, FontFamily::Monospace] {
        fonts
            .families
            .entry(family)
            .or_default()
            .push(CJK_FONT_NAME.to_owned());
    }
    fonts
}

fn install_cjk_font(mut contexts: EguiContexts, mut done: Local<bool>) -> Result {
    if *done {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    ctx.set_fonts(font_definitions());
    // A little larger than egui's default: the console is read at a distance.
    ctx.all_styles_mut(|s| {
        for (style, font) in s.text_styles.iter_mut() {
            if matches!(
                style,
                egui::TextStyle::Body | egui::TextStyle::Button | egui::TextStyle::Monospace
            ) {
                font.size += 1.5;
            }
        }
    });
    *done = true;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_font_has_chinese_glyphs() {
        let ctx = egui::Context::default();
        ctx.set_fonts(font_definitions());
        // Run one pass so the fonts are loaded, then ask for a glyph egui's fonts lack.
        let mut out = ctx.run_ui(egui::RawInput::default(), |_| {});
        out.textures_delta.clear();
        let has = ctx.fonts_mut(|f| {
            f.has_glyphs(
                &egui::FontId::proportional(14.0),
                "小区演练 救援一队 排涝机器人",
            )
        });
        assert!(
            has,
            "the CJK fallback font must cover common Chinese characters"
        );
    }
}
