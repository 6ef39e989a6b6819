//! What jsonplaceholder answers, request by request, over its own data set.
//!
//! jsonplaceholder is json-server running in its "fake" mode: reads come
//! from the data set, writes are answered as if they had happened and are
//! forgotten. The rules below are json-server's, so a program written
//! against the stand-in behaves the same against the real API:
//!
//! - `GET /{res}` lists a resource, `GET /{res}/{id}` shows one record;
//!   an unknown resource or id is `404` with body `{}`.
//! - `GET /{res}?field=value` keeps the records whose field, in its string
//!   form (`1`, `true`, `some text`), equals the value. Another key narrows
//!   further; a repeated key widens (`?id=1&id=2` is id 1 or 2). A field may
//!   be a dotted path (`?address.city=Gwenborough`). A field that no record
//!   has is ignored, as json-server ignores it (`?userid=1`, a typo, lists
//!   every post).
//! - `GET /{parent}/{id}/{res}` is `GET /{res}?{parent}Id={id}` with the
//!   parent's name made singular: `/posts/1/comments` is
//!   `/comments?postId=1`. For a pair with no such field (`/posts/1/photos`)
//!   that means every record, by the rule above.
//! - `POST /{res}` answers `201` with the JSON body and `"id"` set to the
//!   next id (101 for posts); `POST /{parent}/{id}/{res}` also sets the
//!   parent's field. `PUT /{res}/{id}` answers the body with the record's
//!   id, `PATCH` the record with the body's fields merged in, `DELETE`
//!   `{}`. Keys keep their order: existing ones stay in place, new ones go
//!   at the end.
//!
//! Where the stand-in differs: json-server's paging, sorting, search and
//! embedding parameters (`_limit`, `_sort`, `q`, `_embed`, `id_gte`, ...)
//! are refused with a `400` naming them rather than ignored; `PUT` or
//! `PATCH` of an unknown id is `404` (jsonplaceholder answers `500` or
//! echoes the body); a body that is not a JSON object is `400`.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::response::{pretty, Answer, Prepared};

/// One request as the API sees it; the connection has read the whole body.
pub struct Request<'a> {
    pub method: &'a str,
    /// The request target: path and query, e.g. `/posts?userId=1`.
    pub target: &'a str,
    pub body: &'a [u8],
}

/// The data set and every response that does not depend on a query or a
/// body, built once at start-up.
pub struct Site {
    resources: Vec<Resource>,
    not_found: Prepared,
}

/// One top-level array of the data set, e.g. `posts`.
struct Resource {
    name: String,
    records: Vec<Map<String, Value>>,
    /// Index into `records` by the string form of the id: json-server finds
    /// `/posts/1` by comparing `"1"` with each id turned into a string.
    by_id: HashMap<String, usize>,
    /// `GET /{name}`.
    all: Prepared,
    /// `GET /{name}/{id}`, in the order of `records`.
    one: Vec<Prepared>,
    /// What a `POST` gets: one past the largest id.
    next_id: u64,
}

impl Site {
    /// Loads a json-server data set: an object whose every member is an array
    /// of objects with an `"id"`.
    pub fn load(json: &[u8]) -> Result<Site, String> {
        let db: Map<String, Value> =
            serde_json::from_slice(json).map_err(|e| format!("not a JSON object: {e}"))?;
        let mut resources = Vec::with_capacity(db.len());
        for (name, value) in db {
            let Value::Array(values) = value else {
                return Err(format!("{name:?} is not an array"));
            };
            let mut records = Vec::with_capacity(values.len());
            for (i, value) in values.into_iter().enumerate() {
                match value {
                    Value::Object(record) if record.contains_key("id") => records.push(record),
                    _ => return Err(format!("{name}[{i}] is not an object with an \"id\"")),
                }
            }
            let by_id = records
                .iter()
                .enumerate()
                .filter_map(|(i, r)| Some((string_form(&r["id"])?.into_owned(), i)))
                .collect();
            let next_id = records.iter().filter_map(|r| r["id"].as_u64()).max();
            resources.push(Resource {
                all: Prepared::new("200 OK", &pretty(&records)),
                one: records
                    .iter()
                    .map(|r| Prepared::new("200 OK", &pretty(r)))
                    .collect(),
                by_id,
                next_id: next_id.map_or(1, |id| id + 1),
                records,
                name,
            });
        }
        Ok(Site {
            resources,
            not_found: Prepared::new("404 Not Found", b"{}"),
        })
    }

    /// The answer to `req`.
    pub fn answer(&self, req: &Request<'_>) -> Answer<'_> {
        self.outcome(req).unwrap_or_else(|refusal| refusal)
    }

    fn outcome(&self, req: &Request<'_>) -> Outcome<'_> {
        let (path, query) = req.target.split_once('?').unwrap_or((req.target, ""));
        let Some(path) = path.strip_prefix('/') else {
            return Err(Answer::Prepared(&self.not_found));
        };
        let mut segments = path.trim_end_matches('/').split('/');
        let route = match (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
        ) {
            (Some(name), None, ..) => self.resource(name).map(Route::Collection),
            (Some(name), Some(id), None, _) => self.resource(name).map(|r| Route::Item(r, id)),
            (Some(parent), Some(id), Some(name), None) => {
                match (self.resource(parent), self.resource(name)) {
                    (Some(parent), Some(res)) => Some(Route::Nested(parent, id, res)),
                    _ => None,
                }
            }
            _ => None,
        };
        let Some(route) = route else {
            return Err(Answer::Prepared(&self.not_found));
        };
        match (route, req.method) {
            (Route::Collection(res), "GET" | "HEAD") => list(res, parse_query(query)?, None),
            (Route::Collection(res), "POST") => create(res, req.body, None),
            (Route::Item(res, id), "GET" | "HEAD") => Ok(res
                .by_id
                .get(id)
                .map_or(Answer::Prepared(&self.not_found), |&i| {
                    Answer::Prepared(&res.one[i])
                })),
            (Route::Item(res, id), method @ ("PUT" | "PATCH")) => match res.by_id.get(id) {
                Some(&i) => update(&res.records[i], method, req.body),
                None => Ok(Answer::Prepared(&self.not_found)),
            },
            // Fake mode deletes nothing, so it finds nothing to miss either.
            (Route::Item(..), "DELETE") => Ok(Answer::json("200 OK", b"{}".to_vec())),
            (Route::Nested(parent, id, res), "GET" | "HEAD") => {
                list(res, parse_query(query)?, Some((foreign_key(parent), id)))
            }
            (Route::Nested(parent, id, res), "POST") => {
                create(res, req.body, Some((foreign_key(parent), id)))
            }
            (Route::Item(..), _) => Err(not_allowed("GET, HEAD, PUT, PATCH, DELETE")),
            (Route::Collection(_) | Route::Nested(..), _) => Err(not_allowed("GET, HEAD, POST")),
        }
    }

    fn resource(&self, name: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.name == name)
    }
}

/// What a request's path names.
enum Route<'a, 'r> {
    /// `/{res}`
    Collection(&'a Resource),
    /// `/{res}/{id}`
    Item(&'a Resource, &'r str),
    /// `/{parent}/{id}/{res}`
    Nested(&'a Resource, &'r str, &'a Resource),
}

/// An answer, or the refusal that replaces it.
type Outcome<'a> = Result<Answer<'a>, Answer<'a>>;

/// `GET /{res}` with filters; `parent` is the `(field, id)` a nested route adds.
fn list<'a>(
    res: &'a Resource,
    mut filters: Vec<(String, String)>,
    parent: Option<(String, &str)>,
) -> Outcome<'a> {
    if let Some((field, id)) = parent {
        // The path's id wins over the same key in the query, as in json-server.
        filters.retain(|(key, _)| *key != field);
        filters.push((field, id.to_owned()));
    }
    // Fields no record has are dropped, not matched against.
    filters.retain(|(key, _)| res.records.iter().any(|r| lookup(r, key).is_some()));
    if filters.is_empty() {
        return Ok(Answer::Prepared(&res.all));
    }
    let matching: Vec<&Map<String, Value>> = res
        .records
        .iter()
        .filter(|r| matches(r, &filters))
        .collect();
    Ok(Answer::json("200 OK", pretty(&matching)))
}

/// Whether `record` passes every filter key: for each key, one of its values
/// equals the field's string form.
fn matches(record: &Map<String, Value>, filters: &[(String, String)]) -> bool {
    filters.iter().all(|(key, _)| {
        let field = lookup(record, key).and_then(string_form);
        field.is_some_and(|field| {
            filters
                .iter()
                .any(|(k, wanted)| k == key && *wanted == field)
        })
    })
}

/// The value at a dotted path, e.g. `address.geo.lat`.
fn lookup<'v>(record: &'v Map<String, Value>, path: &str) -> Option<&'v Value> {
    let (first, rest) = path.split_once('.').unwrap_or((path, ""));
    let value = record.get(first)?;
    if rest.is_empty() {
        return Some(value);
    }
    match value {
        Value::Object(inner) => lookup(inner, rest),
        _ => None,
    }
}

/// A field as JavaScript's `toString()` writes it, for the scalars that
/// filters compare; `None` for null, arrays and objects, which never match.
fn string_form(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// `POST`: the body, with the parent's field (nested routes) and the next id.
fn create<'a>(res: &Resource, body: &[u8], parent: Option<(String, &str)>) -> Outcome<'a> {
    let mut record = json_object(body)?;
    if let Some((field, id)) = parent {
        // A numeric id becomes a number, as json-server stores it.
        let id = id.parse::<u64>().map_or_else(|_| id.into(), Value::from);
        record.insert(field, id);
    }
    record.insert("id".into(), res.next_id.into());
    Ok(Answer::json("201 Created", pretty(&record)))
}

/// `PUT` (the body, keeping the record's id) or `PATCH` (the record, the
/// body's fields merged in).
fn update<'a>(record: &Map<String, Value>, method: &str, body: &[u8]) -> Outcome<'a> {
    let body = json_object(body)?;
    let updated = if method == "PATCH" {
        let mut merged = record.clone();
        merged.extend(body);
        merged
    } else {
        let mut replaced = body;
        replaced.insert("id".into(), record["id"].clone());
        replaced
    };
    Ok(Answer::json("200 OK", pretty(&updated)))
}

/// A request body as a JSON object; no body at all is `{}`, as in json-server.
fn json_object(body: &[u8]) -> Result<Map<String, Value>, Answer<'static>> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(other) => Err(Answer::error(
            "400 Bad Request",
            &format!(
                "the request body must be a JSON object, not {}",
                kind(&other)
            ),
        )),
        Err(e) => Err(Answer::error(
            "400 Bad Request",
            &format!("the request body is not valid JSON: {e}"),
        )),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The field a child record names its parent by: `posts` → `postId`.
fn foreign_key(parent: &Resource) -> String {
    let name = &parent.name;
    format!("{}Id", name.strip_suffix('s').unwrap_or(name))
}

fn not_allowed(allow: &str) -> Answer<'static> {
    Answer::Fresh {
        status: "405 Method Not Allowed",
        headers: format!("Allow: {allow}\r\n"),
        body: b"{}".to_vec(),
    }
}

/// The query's `key=value` pairs, percent-decoded (`+` is a space), in order.
fn parse_query(query: &str) -> Result<Vec<(String, String)>, Answer<'static>> {
    let mut pairs = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(key)?;
        if is_unsupported(&key) {
            return Err(Answer::error(
                "400 Bad Request",
                &format!(
                    "the stand-in does not implement the query parameter {key:?}: \
                     it filters by fields only (?field=value)"
                ),
            ));
        }
        pairs.push((key, percent_decode(value)?));
    }
    Ok(pairs)
}

/// json-server's own parameters, which it would not treat as field filters.
fn is_unsupported(key: &str) -> bool {
    key == "q"
        || key == "callback"
        || key.starts_with('_')
        || ["_ne", "_like", "_gte", "_lte"]
            .iter()
            .any(|op| key.ends_with(op))
}

fn percent_decode(text: &str) -> Result<String, Answer<'static>> {
    let malformed = || {
        Answer::error(
            "400 Bad Request",
            &format!("malformed percent-encoding in the query: {text:?}"),
        )
    };
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        match b {
            b'+' => bytes.push(b' '),
            b'%' => {
                let [high, low, tail @ ..] = rest else {
                    return Err(malformed());
                };
                let digit = |d: &u8| (*d as char).to_digit(16).ok_or_else(malformed);
                bytes.push((digit(high)? * 16 + digit(low)?) as u8);
                rest = tail;
            }
            _ => bytes.push(b),
        }
    }
    String::from_utf8(bytes).map_err(|_| {
        Answer::error(
            "400 Bad Request",
            &format!("the query decodes to something that is not UTF-8: {text:?}"),
        )
    })
}
