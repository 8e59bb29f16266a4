//! Name pools: Chinese names with their English renderings for streets, communities
//! and schools, in the style of a Hangzhou suburb (Linping-like).
//!
//! Pools are drawn from with a seeded shuffle, so names are deterministic per seed.
//! When a pool runs out (very large `--size`), names are re-used with a numbered
//! suffix ("…支路2" / "… Branch Rd 2") rather than failing.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// A Chinese name and its English rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// Chinese name, e.g. "迎宾路".
    pub cn: String,
    /// English name, e.g. "Yingbin Road".
    pub en: String,
}

impl Name {
    /// A name from its two renderings.
    pub fn new(cn: &str, en: &str) -> Self {
        Name {
            cn: cn.to_string(),
            en: en.to_string(),
        }
    }
}

/// Main roads (arterials).
pub const ARTERIALS: &[(&str, &str)] = &[
    ("临平大道", "Linping Avenue"),
    ("迎宾路", "Yingbin Road"),
    ("世纪大道", "Shiji Avenue"),
    ("人民大道", "Renmin Avenue"),
    ("东湖路", "Donghu Road"),
    ("星桥路", "Xingqiao Road"),
    ("藕花洲大街", "Ouhuazhou Street"),
    ("南苑街", "Nanyuan Street"),
    ("荷禹路", "Heyu Road"),
    ("北沙路", "Beisha Road"),
    ("临丁路", "Linding Road"),
    ("望梅路", "Wangmei Road"),
    ("新丰路", "Xinfeng Road"),
    ("邱山大街", "Qiushan Street"),
    ("文一路", "Wenyi Road"),
    ("文二路", "Wener Road"),
    ("振兴路", "Zhenxing Road"),
    ("兴中路", "Xingzhong Road"),
    ("红丰路", "Hongfeng Road"),
    ("超山路", "Chaoshan Road"),
];

/// Local streets.
pub const LOCALS: &[(&str, &str)] = &[
    ("桂花路", "Guihua Road"),
    ("杨梅路", "Yangmei Road"),
    ("竹园路", "Zhuyuan Road"),
    ("梅林路", "Meilin Road"),
    ("荷花路", "Hehua Road"),
    ("茶亭路", "Chating Road"),
    ("西大街", "Xi Street"),
    ("东大街", "Dong Street"),
    ("木桥头路", "Muqiaotou Road"),
    ("汀洲路", "Tingzhou Road"),
    ("保元路", "Baoyuan Road"),
    ("通运路", "Tongyun Road"),
    ("双林路", "Shuanglin Road"),
    ("超峰路", "Chaofeng Road"),
    ("拱康路", "Gongkang Road"),
    ("育才路", "Yucai Road"),
    ("安平路", "Anping Road"),
    ("庆丰路", "Qingfeng Road"),
    ("工农路", "Gongnong Road"),
    ("长安路", "Chang'an Road"),
    ("乔司路", "Qiaosi Road"),
    ("丁山路", "Dingshan Road"),
    ("塘栖路", "Tangqi Road"),
    ("龙船坞路", "Longchuanwu Road"),
    ("西门路", "Ximen Road"),
    ("南大街", "Nan Street"),
    ("北大街", "Bei Street"),
    ("迎春路", "Yingchun Road"),
    ("望江路", "Wangjiang Road"),
    ("宏达路", "Hongda Road"),
    ("顺达路", "Shunda Road"),
    ("星光街", "Xingguang Street"),
    ("梅堰路", "Meiyan Road"),
    ("东来路", "Donglai Road"),
    ("景星路", "Jingxing Road"),
    ("九曲营路", "Jiuquying Road"),
    ("荷花塘路", "Hehuatang Road"),
    ("公园路", "Gongyuan Road"),
    ("石塘路", "Shitang Road"),
    ("小林路", "Xiaolin Road"),
    ("方桥路", "Fangqiao Road"),
    ("泰山路", "Taishan Road"),
    ("沾桥路", "Zhanqiao Road"),
    ("陈家桥路", "Chenjiaqiao Road"),
];

/// Communities on the plain.
pub const PLAIN_ZONES: &[(&str, &str)] = &[
    ("东湖社区", "Donghu Community"),
    ("临平社区", "Linping Community"),
    ("南苑社区", "Nanyuan Community"),
    ("星桥社区", "Xingqiao Community"),
    ("荷花塘社区", "Hehuatang Community"),
    ("北沙社区", "Beisha Community"),
    ("梅堰社区", "Meiyan Community"),
    ("藕花洲社区", "Ouhuazhou Community"),
    ("望梅社区", "Wangmei Community"),
];

/// Communities on the hills.
pub const HILL_ZONES: &[(&str, &str)] = &[
    ("西山社区", "Xishan Community"),
    ("超山社区", "Chaoshan Community"),
    ("黄鹤山社区", "Huangheshan Community"),
];

/// School kinds for shelters (Chinese suffix, English suffix).
pub const SCHOOLS: &[(&str, &str)] = &[
    ("小学", "Primary School"),
    ("中学", "Middle School"),
    ("实验学校", "Experimental School"),
    ("第二小学", "No. 2 Primary School"),
    ("外国语学校", "Foreign Language School"),
    ("第二中学", "No. 2 Middle School"),
];

/// The river's name.
pub const RIVER: (&str, &str) = ("东溪", "Dongxi River");

/// A pool that hands out shuffled names, then numbered repeats.
pub struct Pool {
    items: Vec<(&'static str, &'static str)>,
    next: usize,
}

impl Pool {
    /// A pool over `items`, shuffled with `rng`.
    pub fn shuffled(items: &[(&'static str, &'static str)], rng: &mut ChaCha8Rng) -> Self {
        let mut items = items.to_vec();
        // Fisher–Yates with the seeded stream.
        for i in (1..items.len()).rev() {
            let j = rng.random_range(0..=i);
            items.swap(i, j);
        }
        Pool { items, next: 0 }
    }

    /// The next name.
    pub fn take(&mut self) -> Name {
        let k = self.next;
        self.next += 1;
        let (cn, en) = self.items[k % self.items.len()];
        let round = k / self.items.len();
        if round == 0 {
            Name::new(cn, en)
        } else {
            let stem_cn = cn
                .trim_end_matches('路')
                .trim_end_matches("大街")
                .trim_end_matches('街');
            Name {
                cn: format!("{stem_cn}支路{}", round + 1),
                en: format!("{en} Branch {}", round + 1),
            }
        }
    }
}

/// The stem of a community name ("东湖社区" → "东湖", "Donghu Community" → "Donghu").
pub fn zone_stem(name: &Name) -> Name {
    Name {
        cn: name.cn.trim_end_matches("社区").to_string(),
        en: name.en.trim_end_matches(" Community").to_string(),
    }
}
