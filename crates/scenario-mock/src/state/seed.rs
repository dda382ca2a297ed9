//! The seeded catalogue: deterministic, realistic assets (kinds, types, models,
//! inferences, parent chains, privacy, tags, collections, dates spread over 540 days).

// tidy: values are data: the seeded assets are realistic combinations of kind, type, source and style, not lists of what the document allows.

use fastrand::Rng;
use scenario_api::types::{
    Asset, AssetConcept, AssetFrame, AssetKind, AssetPrivacy, AssetSource, AssetStatus, AssetType,
    AudioClassification, Model, ModelCapabilities, ModelSource, ModelStatus, ModelType, Style,
    Transcription,
};

use crate::builders::built;
use crate::clock::iso;
use crate::ids::{hex, prefixed};
use crate::state::assets::{
    Identity, StoredAsset, base_metadata, base_properties, cdn_url, extension, frame,
    image_capabilities,
};

/// 2024-01-01T00:00:00.000Z: the first seeded asset is created shortly after.
const EPOCH_MS: u64 = 1_704_067_200_000;
const DAY_MS: u64 = 86_400_000;
/// Seeded assets are spread over this many days.
const SPAN_DAYS: u64 = 540;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// Generated from a prompt by a model.
    Generated,
    /// Made from a parent asset (with or without a model).
    Derived,
    /// Uploaded by a user.
    Uploaded,
    /// Exported from the canvas.
    Canvas,
}

/// A kind of generation job: the asset kind, type and source it produces, where its
/// input comes from, whether a model makes it, and whether one job makes several
/// outputs.
#[derive(Clone, Copy, Debug)]
struct JobSpec {
    kind: &'static str,
    type_: &'static str,
    source: &'static str,
    origin: Origin,
    model: bool,
    multi: bool,
}

type JobRow = (
    u32,
    &'static str,
    &'static str,
    &'static str,
    Origin,
    bool,
    bool,
);

/// The kinds of jobs, each with its weight (how often it is drawn) first.
#[rustfmt::skip]
const JOBS: &[JobRow] = &[
    (16, "image", "inference-txt2img", "inference-txt", Origin::Generated, true, true),
    (8, "image", "txt2img", "txt2img", Origin::Generated, true, true),
    (6, "image", "inference-img2img", "inference-img", Origin::Derived, true, true),
    (4, "image", "img2img", "img2img", Origin::Derived, true, false),
    (6, "image", "upscale", "upscale", Origin::Derived, false, false),
    (4, "image", "background-removal", "background-removal", Origin::Derived, false, false),
    (2, "image", "reframe", "reframe", Origin::Derived, true, false),
    (7, "image", "uploaded", "uploaded", Origin::Uploaded, false, false),
    (2, "image", "canvas-export", "canvas-export", Origin::Canvas, false, false),
    (7, "3d", "img23d", "img23d", Origin::Derived, true, false),
    (4, "3d", "txt23d", "txt23d", Origin::Generated, true, false),
    (4, "3d", "uploaded-3d", "uploaded-3d", Origin::Uploaded, false, false),
    (8, "audio", "txt2audio", "txt2audio", Origin::Generated, true, true),
    (2, "audio", "audio2audio", "audio2audio", Origin::Derived, true, false),
    (5, "audio", "uploaded-audio", "uploaded-audio", Origin::Uploaded, false, false),
    (6, "video", "img2video", "img2video", Origin::Derived, true, false),
    (5, "video", "txt2video", "txt2video", Origin::Generated, true, false),
    (4, "video", "uploaded-video", "uploaded-video", Origin::Uploaded, false, false),
];

fn job_spec(row: JobRow) -> JobSpec {
    let (_weight, kind, type_, source, origin, model, multi) = row;
    JobSpec {
        kind,
        type_,
        source,
        origin,
        model,
        multi,
    }
}

/// The models assets are generated with: kind, model type, name.
const MODELS: &[(&str, &str, &str)] = &[
    ("image", "flux.1-lora", "Isometric Props"),
    ("image", "flux.1-lora", "Pixel Heroes"),
    ("image", "flux.1", "Flux Dev"),
    ("image", "gpt-image-1", "GPT Image"),
    ("image", "flux.1-kontext-lora", "Cel Shading Kontext"),
    ("image", "qwen-image-lora", "Watercolor Maps"),
    ("image", "custom", "Legacy Characters"),
    ("3d", "custom", "Mesh Generator"),
    ("3d", "custom", "Low Poly Sculptor"),
    ("audio", "elevenlabs-voice", "Narrator Voice"),
    ("audio", "custom", "SFX Foley"),
    ("video", "custom", "Motion Loops"),
    ("video", "custom", "Cinematic Shots"),
];

const TAGS: &[&str] = &[
    "sci-fi",
    "landscape",
    "character",
    "fantasy",
    "weapon",
    "pixel-art",
    "environment",
    "portrait",
    "prop",
    "ui",
    "creature",
    "vehicle",
];
const ADJECTIVES: &[&str] = &[
    "ancient",
    "neon",
    "cozy",
    "haunted",
    "floating",
    "crystalline",
    "rusty",
    "overgrown",
    "frozen",
    "golden",
    "tiny",
    "colossal",
];
const SUBJECTS: &[&str] = &[
    "knight",
    "dragon",
    "treasure chest",
    "space station",
    "forest shrine",
    "potion bottle",
    "robot companion",
    "market stall",
    "sword",
    "castle gate",
    "hover bike",
    "wizard tower",
];
const SETTINGS: &[&str] = &[
    "at sunset",
    "in the rain",
    "on a white background",
    "isometric view",
    "close-up",
    "in a misty valley",
    "under a starry sky",
    "game asset",
];
const SCHEDULERS: &[&str] = &[
    "EulerAncestralDiscreteScheduler",
    "DPMSolverMultistepScheduler",
    "LCMScheduler",
];
const STYLES: &[&str] = &[
    "3d-cartoon",
    "anime",
    "cinematic",
    "comic",
    "fantasy",
    "pastel",
    "photography",
    "retro-fantasy",
];
const IMAGE_SIZES: &[(u32, u32, &str)] = &[
    (1024, 1024, "1:1"),
    (1024, 768, "4:3"),
    (768, 1024, "3:4"),
    (1344, 768, "16:9"),
    (768, 1344, "9:16"),
    (512, 512, "1:1"),
];

struct SeedModel {
    id: String,
    name: &'static str,
    kind: &'static str,
    model_type: &'static str,
}

/// What a model of `kind` can be asked to make.
fn capabilities(kind: &str) -> Vec<ModelCapabilities> {
    let names: &[&str] = match kind {
        "image" => &["txt2img", "img2img", "controlnet"],
        "3d" => &["img23d", "txt23d"],
        "audio" => &["txt2audio", "audio2audio"],
        _ => &["txt2video", "img2video"],
    };
    names
        .iter()
        .map(|&name| ModelCapabilities::from(name))
        .collect()
}

struct Seeder {
    rng: Rng,
    owner_id: String,
    cdn_base: String,
    authors: Vec<String>,
    collections: Vec<String>,
    models: Vec<SeedModel>,
    assets: Vec<StoredAsset>,
}

/// One generation job: what its outputs share.
struct Job {
    spec: JobSpec,
    created_ms: u64,
    author_id: String,
    parent: Option<(String, String)>,
    model: Option<(String, &'static str)>,
    inference_id: Option<String>,
    job_id: String,
    prompt: String,
    outputs: u32,
    size: (u32, u32, &'static str),
    seed: u64,
}

/// The seeded catalogue: the same `seed` and `count` always give the same assets.
/// What the fake starts with: whose it is, its assets, and the models those
/// assets were made with.
pub(crate) struct Seeded {
    pub(crate) identity: Identity,
    pub(crate) assets: Vec<StoredAsset>,
    /// Each with the time it was created, in milliseconds.
    pub(crate) models: Vec<(Model, u64)>,
}

pub(crate) fn seed(seed: u64, count: usize, cdn_base: &str) -> Seeded {
    let mut rng = Rng::with_seed(seed);
    let owner_id = prefixed(&mut rng, "proj");
    let authors: Vec<String> = (0..4).map(|_| hex(&mut rng, 32)).collect();
    let collections = (0..5).map(|_| prefixed(&mut rng, "coll")).collect();
    let models = MODELS
        .iter()
        .map(|&(kind, model_type, name)| SeedModel {
            id: prefixed(&mut rng, "model"),
            name,
            kind,
            model_type,
        })
        .collect();
    let identity = Identity {
        author_id: authors[0].clone(),
        owner_id: owner_id.clone(),
        cdn_base: cdn_base.to_owned(),
    };
    let mut seeder = Seeder {
        rng,
        owner_id,
        cdn_base: cdn_base.to_owned(),
        authors,
        collections,
        models,
        assets: Vec::with_capacity(count),
    };
    let count_u64 = u64::try_from(count).unwrap_or(u64::MAX).max(1);
    let step = (SPAN_DAYS * DAY_MS / count_u64).max(1);
    let mut created_ms = EPOCH_MS;
    while seeder.assets.len() < count {
        created_ms += seeder.rng.u64(1..=2 * step);
        let remaining = count - seeder.assets.len();
        seeder.job(created_ms, remaining);
    }
    let models = seeder.models(&identity);
    Seeded {
        identity,
        assets: seeder.assets,
        models,
    }
}

impl Seeder {
    /// The models the assets name, trained before their first asset, each
    /// showing up to four of its assets as examples (the first as thumbnail).
    fn models(&mut self, identity: &Identity) -> Vec<(Model, u64)> {
        let models = std::mem::take(&mut self.models);
        models
            .iter()
            .filter_map(|seeded| {
                let made: Vec<&Asset> = self
                    .assets
                    .iter()
                    .map(|stored| &stored.asset)
                    .filter(|asset| asset.metadata.model_id.as_deref() == Some(&seeded.id))
                    .collect();
                let first = made.first()?;
                let first_ms = self
                    .assets
                    .iter()
                    .find(|stored| stored.asset.id == first.id)
                    .map_or(EPOCH_MS, |stored| stored.created_ms);
                let created_ms = first_ms.saturating_sub(self.rng.u64(1..=30) * DAY_MS);
                let examples: Vec<String> = made.iter().take(4).map(|a| a.id.clone()).collect();
                let thumbnail = frame(first.id.clone(), first.url.clone());
                // Base models are the service's; the others were trained by the team.
                let custom = !matches!(seeded.model_type, "flux.1" | "gpt-image-1");
                let tags = vec![(*self.pick(TAGS)).to_owned(), (*self.pick(TAGS)).to_owned()];
                let model = built(
                    Model::builder()
                        .id(seeded.id.clone())
                        .name(seeded.name.to_owned())
                        .short_description(format!("{} ({})", seeded.name, seeded.kind))
                        .type_(ModelType::from(seeded.model_type))
                        .author_id(identity.author_id.clone())
                        .owner_id(identity.owner_id.clone())
                        .capabilities(capabilities(seeded.kind))
                        .collection_ids(Vec::<String>::new())
                        .created_at(iso(created_ms))
                        .updated_at(iso(created_ms))
                        .custom(custom)
                        .example_asset_ids(examples)
                        .thumbnail(thumbnail)
                        .privacy(AssetPrivacy::Private)
                        .source(ModelSource::Scenario)
                        .status(ModelStatus::Trained)
                        .tags(tags)
                        .training_images(Vec::new())
                        .training_images_number(0.0),
                );
                Some((model, created_ms))
            })
            .collect()
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.usize(..items.len())]
    }

    fn chance(&mut self, percent: u8) -> bool {
        self.rng.u8(0..100) < percent
    }

    fn job(&mut self, created_ms: u64, remaining: usize) {
        let total: u32 = JOBS.iter().map(|row| row.0).sum();
        let mut roll = self.rng.u32(0..total);
        let mut spec = job_spec(JOBS[0]);
        for &row in JOBS {
            if roll < row.0 {
                spec = job_spec(row);
                break;
            }
            roll -= row.0;
        }
        let parent = if spec.origin == Origin::Derived {
            self.pick_parent(spec.kind)
        } else {
            None
        };
        let model = if spec.model {
            let candidates: Vec<usize> = (0..self.models.len())
                .filter(|&i| self.models[i].kind == spec.kind)
                .collect();
            let index = *self.pick(&candidates);
            Some((self.models[index].id.clone(), self.models[index].model_type))
        } else {
            None
        };
        let outputs = if spec.multi {
            self.rng
                .u32(1..=4)
                .min(u32::try_from(remaining).unwrap_or(u32::MAX))
        } else {
            1
        };
        let job = Job {
            created_ms,
            author_id: self.authors[self.rng.usize(..self.authors.len())].clone(),
            inference_id: model.as_ref().map(|_| prefixed(&mut self.rng, "inf")),
            job_id: prefixed(&mut self.rng, "job"),
            prompt: self.prompt(),
            size: *self.pick(IMAGE_SIZES),
            seed: self.rng.u64(0..4_294_967_296),
            spec,
            parent,
            model,
            outputs,
        };
        for index in 0..outputs {
            let asset = self.asset(&job, index);
            self.assets.push(asset);
        }
    }

    /// An earlier asset to derive from, preferably an image: (id, root id).
    fn pick_parent(&mut self, kind: &str) -> Option<(String, String)> {
        if self.assets.is_empty() {
            return None;
        }
        let wanted = if kind == "audio" { "audio" } else { "image" };
        let mut choice = self.rng.usize(..self.assets.len());
        for _ in 0..8 {
            if self.assets[choice].asset.kind.as_str() == wanted {
                break;
            }
            choice = self.rng.usize(..self.assets.len());
        }
        let parent = &self.assets[choice].asset;
        let root = parent
            .metadata
            .root_parent_id
            .clone()
            .unwrap_or_else(|| parent.id.clone());
        Some((parent.id.clone(), root))
    }

    fn prompt(&mut self) -> String {
        format!(
            "{} {} {}",
            self.pick(ADJECTIVES),
            self.pick(SUBJECTS),
            self.pick(SETTINGS)
        )
    }

    fn file_name(&mut self, stem: &str, extension: &str) -> String {
        let subject = self.pick(SUBJECTS).replace(' ', "-");
        format!("{stem}-{subject}-{:03}.{extension}", self.rng.u32(1..1000))
    }

    fn asset(&mut self, job: &Job, index: u32) -> StoredAsset {
        let spec = job.spec;
        let id = prefixed(&mut self.rng, "asset");
        let kind = AssetKind::from(spec.kind);
        let mut meta = base_metadata(kind.clone(), AssetType::from(spec.type_));
        let generated = matches!(spec.origin, Origin::Generated | Origin::Derived);
        if generated {
            meta.parent_job_id = Some(job.job_id.clone());
        }
        if let Some((model_id, model_type)) = &job.model {
            meta.model_id = Some(model_id.clone());
            meta.model_type = Some(ModelType::from(*model_type));
            meta.inference_id = job.inference_id.clone();
            meta.prompt = Some(job.prompt.clone());
            meta.seed = Some((job.seed + u64::from(index)).to_string());
            meta.num_outputs = Some(job.outputs);
            meta.output_index = Some(index);
        }
        if let Some((parent_id, root_id)) = &job.parent {
            meta.parent_id = Some(parent_id.clone());
            meta.root_parent_id = Some(root_id.clone());
            meta.image = Some(parent_id.clone());
        }

        let mut props = base_properties(0);
        let mut asset_thumbnail = None;
        let mut preview = None;
        let mut first_frame = None;
        let mut last_frame = None;
        let mut description = None;
        let mut edit_capabilities = Vec::new();
        let (width, height, ratio) = job.size;
        let mime_type: &str;
        match spec.kind {
            "image" => {
                let (mut w, mut h) = (width, height);
                if spec.type_ == "upscale" {
                    let factor = *self.pick(&[2u32, 4]);
                    w *= factor;
                    h *= factor;
                    meta.scaling_factor = Some(f64::from(factor));
                    meta.creativity = Some(f64::from(self.rng.u8(0..=100)) / 100.0);
                    meta.fractality = Some(f64::from(self.rng.u8(0..=100)) / 100.0);
                    meta.style = Some(Style::from(*self.pick(STYLES)));
                }
                if job.model.is_some() {
                    meta.aspect_ratio = Some(ratio.to_owned());
                    meta.guidance = Some(f64::from(self.rng.u8(35..=75)) / 10.0);
                    meta.num_inference_steps = Some(self.rng.u32(20..=50));
                    meta.scheduler = Some((*self.pick(SCHEDULERS)).to_owned());
                    if self.chance(50) {
                        meta.negative_prompt = Some("blurry, low quality, watermark".into());
                        meta.negative_prompt_strength = Some(1.0);
                    }
                    if self.chance(30) {
                        meta.style = Some(Style::from(*self.pick(STYLES)));
                    }
                    if job.model.as_ref().is_some_and(|(_, t)| t.ends_with("lora"))
                        && self.chance(50)
                    {
                        let concept = AssetConcept::builder()
                            .model_id(self.models[0].id.clone())
                            .scale(f64::from(self.rng.u8(5..=15)) / 10.0);
                        meta.concepts = vec![built(concept)];
                    }
                }
                if spec.type_ == "inference-img2img" || spec.type_ == "img2img" {
                    meta.strength = Some(f64::from(self.rng.u8(30..=90)) / 100.0);
                }
                if spec.type_ == "background-removal" {
                    meta.remove_background = Some(true);
                }
                meta.width = Some(f64::from(w));
                meta.height = Some(f64::from(h));
                let png = spec.origin != Origin::Uploaded || self.chance(50);
                mime_type = if png { "image/png" } else { "image/jpeg" };
                if spec.origin == Origin::Uploaded {
                    meta.name = Some(self.file_name("concept", if png { "png" } else { "jpg" }));
                }
                props.width = Some(f64::from(w));
                props.height = Some(f64::from(h));
                let pixels = u64::from(w) * u64::from(h);
                props.size = pixels / 4 + self.rng.u64(0..=pixels);
                edit_capabilities = image_capabilities();
                if self.chance(50) {
                    description = Some(format!("An image of {}", job.prompt));
                }
            }
            "3d" => {
                mime_type = "model/gltf-binary";
                let faces = self.rng.u64(5_000..=200_000);
                props.format = Some("glb".into());
                props.face_count = Some(faces);
                props.vertex_count = Some(faces / 2 + self.rng.u64(0..=faces / 4));
                props.has_normals = Some(true);
                props.has_u_vs = Some(true);
                let rigged = self.chance(10);
                props.has_skeleton = Some(rigged);
                props.has_animations = Some(rigged);
                if rigged {
                    props.bone_count = Some(self.rng.u64(20..=80));
                    props.animation_frame_count = Some(self.rng.u64(24..=240));
                }
                props.dimensions = (0..3)
                    .map(|_| f64::from(self.rng.u16(10..=400)) / 100.0)
                    .collect();
                props.size = faces * 64 + self.rng.u64(0..=1_000_000);
                if spec.origin == Origin::Uploaded {
                    meta.name = Some(self.file_name("mesh", "glb"));
                }
                preview = Some(frame(prefixed(&mut self.rng, "asset"), String::new()));
            }
            "audio" => {
                let speech = job
                    .model
                    .as_ref()
                    .is_some_and(|(_, t)| *t == "elevenlabs-voice");
                let wav = spec.origin == Origin::Uploaded && self.chance(50);
                mime_type = if wav { "audio/wav" } else { "audio/mpeg" };
                let duration = f64::from(self.rng.u16(20..=600)) / 10.0;
                let sample_rate = *self.pick(&[44_100.0, 48_000.0]);
                let channels = if speech { 1 } else { *self.pick(&[1u32, 2]) };
                let bitrate = if wav {
                    sample_rate * 16.0 * f64::from(channels)
                } else {
                    *self.pick(&[128_000.0, 192_000.0, 320_000.0])
                };
                props.duration = Some(duration);
                props.sample_rate = Some(sample_rate);
                props.channels = Some(channels);
                props.bitrate = Some(bitrate);
                props.codec_name = Some(if wav { "pcm_s16le" } else { "mp3" }.into());
                props.size = (duration * bitrate / 8.0) as u64;
                let classification = if speech {
                    "speech"
                } else {
                    *self.pick(&["music", "sound", "effect"])
                };
                props.classification = Some(AudioClassification::from(classification));
                if speech {
                    props.transcription = Some(built(
                        Transcription::builder().text(format!("Behold, the {}.", job.prompt)),
                    ));
                    meta.text = Some(format!("Behold, the {}.", job.prompt));
                }
                props.description = Some(format!("{classification}: {}", job.prompt));
                if spec.origin == Origin::Uploaded {
                    meta.name = Some(self.file_name("sound", if wav { "wav" } else { "mp3" }));
                }
            }
            _ => {
                mime_type = "video/mp4";
                let (w, h) = *self.pick(&[(1280u32, 720u32), (1920, 1080), (720, 1280)]);
                let fps = *self.pick(&[24u32, 30]);
                let seconds = self.rng.u32(3..=10);
                let bitrate = f64::from(self.rng.u32(2_000..=8_000)) * 1000.0;
                props.width = Some(f64::from(w));
                props.height = Some(f64::from(h));
                props.frame_rate = Some(f64::from(fps));
                props.duration = Some(f64::from(seconds));
                props.nb_frames = Some(u64::from(fps * seconds));
                props.codec_name = Some("h264".into());
                props.bitrate = Some(bitrate);
                props.size = (f64::from(seconds) * bitrate / 8.0) as u64;
                meta.width = Some(f64::from(w));
                meta.height = Some(f64::from(h));
                if spec.origin == Origin::Uploaded {
                    meta.name = Some(self.file_name("clip", "mp4"));
                }
                first_frame = Some(frame(prefixed(&mut self.rng, "asset"), String::new()));
                last_frame = Some(frame(prefixed(&mut self.rng, "asset"), String::new()));
            }
        }
        let url = cdn_url(&self.cdn_base, &self.owner_id, &id, extension(mime_type));
        let frame_url = |frame: &mut Option<AssetFrame>| {
            if let Some(frame) = frame {
                frame.url = cdn_url(&self.cdn_base, &self.owner_id, &frame.asset_id, "png");
            }
        };
        frame_url(&mut preview);
        frame_url(&mut first_frame);
        frame_url(&mut last_frame);
        if spec.kind != "audio" {
            // An image is its own thumbnail; 3D and video get a rendered image.
            let thumbnail = if spec.kind == "image" {
                frame(id.clone(), format!("{url}?format=webp&width=256"))
            } else {
                let thumbnail_id = prefixed(&mut self.rng, "asset");
                let thumbnail_url = cdn_url(&self.cdn_base, &self.owner_id, &thumbnail_id, "png");
                frame(thumbnail_id, thumbnail_url)
            };
            meta.thumbnail = Some(thumbnail.clone());
            asset_thumbnail = Some(thumbnail);
        }

        let created_ms = job.created_ms;
        let updated_ms = if self.chance(40) {
            created_ms
        } else {
            created_ms + self.rng.u64(1_000..=60 * DAY_MS)
        };
        let privacy = match self.rng.u8(0..100) {
            0..70 => AssetPrivacy::Private,
            70..90 => AssetPrivacy::Public,
            _ => AssetPrivacy::Unlisted,
        };
        let status = match self.rng.u8(0..100) {
            0..96 => AssetStatus::Success,
            96..98 => AssetStatus::Pending,
            _ => AssetStatus::Error,
        };
        let mut tags: Vec<String> = Vec::new();
        for _ in 0..self.rng.usize(0..=3) {
            let tag = (*self.pick(TAGS)).to_owned();
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        let mut collection_ids = Vec::new();
        if self.chance(30) {
            for _ in 0..self.rng.usize(1..=2) {
                let collection = self.collections[self.rng.usize(..self.collections.len())].clone();
                if !collection_ids.contains(&collection) {
                    collection_ids.push(collection);
                }
            }
        }
        let automatic_captioning =
            (spec.kind == "image" && self.chance(40)).then(|| format!("a {}", job.prompt));
        let asset = Asset::builder()
            .author_id(job.author_id.clone())
            .automatic_captioning(automatic_captioning)
            .collection_ids(collection_ids)
            .created_at(iso(created_ms))
            .description(description)
            .edit_capabilities(edit_capabilities)
            .first_frame(first_frame)
            .id(id)
            .is_hidden(false)
            .kind(kind)
            .last_frame(last_frame)
            .metadata(meta)
            .mime_type(mime_type)
            .output_index(index)
            .owner_id(self.owner_id.clone())
            .preview(preview)
            .privacy(privacy)
            .properties(props)
            .source(AssetSource::from(spec.source))
            .status(status)
            .tags(tags)
            .thumbnail(asset_thumbnail)
            .updated_at(iso(updated_ms))
            .url(url);
        StoredAsset {
            asset: built(asset),
            created_ms,
            updated_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::parse_iso;

    #[test]
    fn every_model_an_asset_names_is_seeded_trained_with_its_assets_as_examples() {
        let seeded = seed(3, 300, "http://cdn");
        let named: std::collections::BTreeSet<&str> = seeded
            .assets
            .iter()
            .filter_map(|stored| stored.asset.metadata.model_id.as_deref())
            .collect();
        let models: std::collections::BTreeSet<&str> =
            seeded.models.iter().map(|(m, _)| m.id.as_str()).collect();
        assert_eq!(named, models);
        for (model, created_ms) in &seeded.models {
            assert_eq!(model.status, ModelStatus::Trained);
            assert!(!model.type_.is_unrecognized(), "{:?}", model.type_);
            assert!(model.capabilities.iter().all(|c| !c.is_unrecognized()));
            assert!(!model.example_asset_ids.is_empty());
            for example in &model.example_asset_ids {
                let stored = seeded
                    .assets
                    .iter()
                    .find(|s| &s.asset.id == example)
                    .expect("an example is a seeded asset");
                assert_eq!(stored.asset.metadata.model_id.as_ref(), Some(&model.id));
                assert!(stored.created_ms > *created_ms, "made after its model");
            }
        }
        assert!(seed(3, 0, "http://cdn").models.is_empty());
    }

    #[test]
    fn seeding_is_deterministic_and_uses_known_values() {
        let first = seed(3, 300, "http://cdn").assets;
        let again = seed(3, 300, "http://cdn").assets;
        let other = seed(4, 300, "http://cdn").assets;
        assert_eq!(first.len(), 300);
        let ids = |assets: &[StoredAsset]| {
            assets
                .iter()
                .map(|a| a.asset.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&first), ids(&again));
        assert_ne!(ids(&first), ids(&other));
        for stored in &first {
            let asset = &stored.asset;
            assert!(!asset.kind.is_unrecognized());
            assert!(
                !asset.metadata.type_.is_unrecognized(),
                "{:?}",
                asset.metadata.type_
            );
            assert!(!asset.source.is_unrecognized(), "{:?}", asset.source);
            assert!(
                asset
                    .metadata
                    .model_type
                    .as_ref()
                    .is_none_or(|t| !t.is_unrecognized())
            );
            assert!(
                asset
                    .metadata
                    .style
                    .as_ref()
                    .is_none_or(|s| !s.is_unrecognized())
            );
            assert!(asset.edit_capabilities.iter().all(|c| !c.is_unrecognized()));
            assert_eq!(parse_iso(&asset.created_at), Some(stored.created_ms));
            assert_eq!(parse_iso(&asset.updated_at), Some(stored.updated_ms));
            assert!(stored.updated_ms >= stored.created_ms);
        }
    }
}
