//! `Paginated::trailing_token` reads a listing's next token from the end of
//! the body: whenever it finds one, it must be the one a JSON parser finds.

use proptest::prelude::*;
use scenario_api::Paginated;
use scenario_api::ops::ListAssets;
use serde_json::{Map, Value, json};

const KEY: &str = "nextPaginationToken";

fn trailing(body: &str) -> Option<String> {
    ListAssets::default().trailing_token(body.as_bytes())
}

#[test]
fn the_token_a_listing_ends_with_is_found_without_parsing_the_page() {
    let body = r#"{"assets":[{"id":"a"}],"nextPaginationToken":"djE6YXNzZXQ="}"#;
    assert_eq!(trailing(body).as_deref(), Some("djE6YXNzZXQ="));
    let spaced = "{ \"assets\" : [ ] ,\n  \"nextPaginationToken\" :\t\"t-1\" \r\n}\n";
    assert_eq!(trailing(spaced).as_deref(), Some("t-1"));
    assert_eq!(
        trailing(r#"{"nextPaginationToken":"only"}"#).as_deref(),
        Some("only")
    );
}

#[test]
fn anything_but_a_plain_last_member_is_left_to_the_parser() {
    for body in [
        // The token elsewhere, absent, null, empty, escaped or not a string.
        r#"{"nextPaginationToken":"t","assets":[]}"#,
        r#"{"assets":[]}"#,
        r#"{"assets":[],"nextPaginationToken":null}"#,
        r#"{"assets":[],"nextPaginationToken":""}"#,
        r#"{"assets":[],"nextPaginationToken":"a\/b"}"#,
        r#"{"assets":[],"nextPaginationToken":7}"#,
        // The key spelled with an escape, or only the end of a longer key.
        r#"{"assets":[],"next\u0050aginationToken":"t"}"#,
        r#"{"assets":[],"xnextPaginationToken":"t"}"#,
        r#"{"assets":[],"a\"nextPaginationToken":"t"}"#,
        // A string value that merely contains the text of a member.
        r#"{"assets":[],"note":"x\",\"nextPaginationToken\":\"t"}"#,
        // A nested object's member, and bodies that are not one object.
        r#"{"assets":[],"page":{"nextPaginationToken":"t"}}"#,
        r#"[{"nextPaginationToken":"t"}]"#,
        r#""nextPaginationToken":"t"}"#,
        "",
        "}",
    ] {
        assert_eq!(trailing(body), None, "{body}");
    }
}

/// A JSON object with the token somewhere (or nowhere), look-alikes nested and
/// in strings, and strings with quotes, backslashes and non-ASCII text.
fn object() -> impl Strategy<Value = Value> {
    let text = prop_oneof![
        Just("nextPaginationToken".to_owned()),
        Just("\",\"nextPaginationToken\":\"".to_owned()),
        "[a-z\"\\\\/é ]{0,8}",
    ];
    let value = prop_oneof![
        text.clone().prop_map(Value::String),
        Just(Value::Null),
        any::<i32>().prop_map(Value::from),
        text.clone().prop_map(|t| json!({ KEY: t })),
    ];
    let key = prop_oneof![Just(KEY.to_owned()), "[a-zA-Z\"]{1,6}"];
    prop::collection::vec((key, value), 0..6).prop_map(|members| {
        let mut object = Map::new();
        for (key, value) in members {
            object.insert(key, value);
        }
        Value::Object(object)
    })
}

proptest! {
    #[test]
    fn a_token_read_from_the_end_is_the_one_the_parser_reads(
        object in object(),
        pretty in any::<bool>(),
    ) {
        let body = if pretty {
            serde_json::to_string_pretty(&object).unwrap()
        } else {
            serde_json::to_string(&object).unwrap()
        };
        if let Some(token) = trailing(&body) {
            prop_assert_eq!(object[KEY].as_str(), Some(token.as_str()), "{}", body);
        }
        // The common case is found: the token as the last member, plain.
        let last = object.as_object().and_then(|o| o.iter().next_back());
        if let Some((key, Value::String(token))) = last
            && key == KEY
            && !token.is_empty()
            && !token.contains(['"', '\\', '/'])
        {
            prop_assert_eq!(trailing(&body), Some(token.clone()), "{}", body);
        }
    }
}
