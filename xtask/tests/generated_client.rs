//! Locks the generated client: its API surface as a reviewable snapshot, and the
//! checked-in file's freshness against the document.

use xtask::{GENERATED_PATH, codegen, surface, workspace_root};

/// A document change that changes the client shows up here as a snapshot diff;
/// accept it with `cargo insta review` once it reads right.
#[test]
fn api_surface() {
    let code = codegen::render(&workspace_root()).expect("the document generates a client");
    let summary = surface::render(&code).expect("the generated client parses");
    insta::assert_snapshot!("api_surface", summary);
}

#[test]
fn checked_in_client_is_fresh() {
    let root = workspace_root();
    let expected = codegen::render(&root).expect("the document generates a client");
    let actual =
        std::fs::read_to_string(root.join(GENERATED_PATH)).expect("the generated file exists");
    assert!(
        expected == actual,
        "{GENERATED_PATH} is stale: run `cargo xtask generate` (and `cargo xtask generate --check` shows the diff)"
    );
}

#[test]
fn generation_is_deterministic() {
    let root = workspace_root();
    let first = codegen::render(&root).unwrap();
    let second = codegen::render(&root).unwrap();
    assert_eq!(first, second);
}

#[test]
fn a_malformed_document_gives_an_error_naming_the_problem() {
    let err = |yaml: &str| format!("{:#}", codegen::render_spec(yaml).unwrap_err());

    let msg = err("openapi: 3.0.3\ninfo: [not, a, map]\n");
    assert!(msg.contains("info"), "{msg}");

    let msg = err("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n");
    assert!(msg.contains("3.0"), "{msg}");

    let msg = err(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {/a: {get: {responses: {'200': {description: ok}}}}}\n",
    );
    assert!(msg.contains("GET /a has no operationId"), "{msg}");

    let msg = err(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a: {get: {operationId: x, responses: {'200': {description: ok}}}}\n  /b: {get: {operationId: x, responses: {'200': {description: ok}}}}\n",
    );
    assert!(msg.contains("operationId `x` is used by both"), "{msg}");

    let msg = err("openapi: 3.0.3\n  bad: indentation\n: :\n");
    assert!(msg.contains("not valid YAML"), "{msg}");
}

/// A document with one listing whose `tags` query parameter is `schema`, plus
/// `extra` lines of parameter settings.
fn with_array_param(extra: &str) -> String {
    format!(
        "openapi: 3.0.3
info: {{title: t, version: '1'}}
servers: [{{url: 'https://example.com'}}]
paths:
  /things:
    get:
      operationId: listThings
      parameters:
        - name: tags
          in: query
{extra}          schema:
            type: array
            items: {{$ref: '#/components/schemas/Tag'}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Things'}}
components:
  schemas:
    Tag: {{type: string, enum: [red, blue]}}
    Things: {{type: object, properties: {{names: {{type: array, items: {{type: string}}}}}}}}
"
    )
}

#[test]
fn query_arrays_are_one_comma_separated_value() {
    let outputs = codegen::render_all_spec(&with_array_param(
        "          style: form\n          explode: false\n",
    ))
    .expect("an unexploded array of enums generates");
    let ops = &outputs[1].1;
    assert!(
        ops.contains("pub tags: ::std::option::Option<::std::vec::Vec<types::Tag>>"),
        "{ops}"
    );
    assert!(
        ops.contains("with = \"crate::operation::comma_separated\""),
        "{ops}"
    );
    assert!(ops.contains("comma_separated::join(values)"), "{ops}");
    assert!(
        ops.contains("ParamKind::List(&ParamKind::Enum(types::Tag::VALUES))"),
        "{ops}"
    );

    // `form` arrays explode unless the document says otherwise, which the service
    // does not read: refused, naming the fix.
    let msg = format!(
        "{:#}",
        codegen::render_all_spec(&with_array_param("")).unwrap_err()
    );
    assert!(msg.contains("must say `explode: false`"), "{msg}");
}

#[test]
fn x_lenient_is_for_string_properties_only() {
    let doc = |ty: &str| {
        format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\nservers: [{{url: 'https://x'}}]\n\
             paths:\n  /a:\n    get:\n      operationId: getA\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{$ref: '#/components/schemas/A'}}\n\
             components:\n  schemas:\n    A:\n      type: object\n      required: [b]\n      properties:\n        b: {{type: {ty}, x-lenient: true}}\n"
        )
    };
    let code = codegen::render_spec(&doc("string")).expect("a lenient string generates");
    assert!(code.contains("string_or_empty"), "{code}");
    let err = format!("{:#}", codegen::render_spec(&doc("integer")).unwrap_err());
    assert!(err.contains("x-lenient"), "{err}");
}

/// An optional area (a tag marked `x-cargo-feature`) gates its operations and
/// the types only it reaches; a type a core operation also reaches, or that no
/// operation reaches, always compiles; a type two optional areas reach
/// compiles with either.
#[test]
fn optional_areas_gate_what_only_they_use() {
    let doc = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\nservers: [{url: 'https://x'}]\n\
        tags:\n  - {name: core}\n  - {name: extra, x-cargo-feature: true}\n  - {name: more, x-cargo-feature: true}\n\
        paths:\n\
        \x20 /a:\n    get:\n      operationId: getA\n      tags: [core]\n      responses:\n        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Shared'}}}}\n\
        \x20 /b:\n    get:\n      operationId: getB\n      tags: [extra]\n      responses:\n        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/OnlyExtra'}}}}\n\
        \x20 /c:\n    get:\n      operationId: getC\n      tags: [more]\n      responses:\n        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Both'}}}}\n\
        components:\n  schemas:\n\
        \x20   Shared: {type: object, properties: {x: {type: string}}}\n\
        \x20   OnlyExtra: {type: object, properties: {shared: {$ref: '#/components/schemas/Shared'}, both: {$ref: '#/components/schemas/Both'}}}\n\
        \x20   Both: {type: object, properties: {y: {type: string}}}\n\
        \x20   Orphan: {type: object, properties: {z: {type: string}}}\n";
    let code = codegen::render_spec(doc).expect("the document generates");
    let summary = surface::render(&code).expect("the generated client parses");
    for line in [
        "get_a: GET /a\n",
        "get_b: GET /b [extra]\n",
        "get_c: GET /c [more]\n",
        "struct Shared\n",
        "struct Orphan\n",
        "struct OnlyExtra [extra]\n",
        "struct Both [extra, more]\n",
    ] {
        assert!(summary.contains(line), "{line:?} not in:\n{summary}");
    }

    // A marked tag must be a Cargo feature name.
    let bad = doc.replace(
        "{name: extra, x-cargo-feature: true}",
        "{name: Extra Stuff, x-cargo-feature: true}",
    );
    let err = format!("{:#}", codegen::render_spec(&bad).unwrap_err());
    assert!(err.contains("not a Cargo feature name"), "{err}");
}
