//! UPS's Track API (`Tracking.yaml`): `GET /api/track/v1/details/{inquiryNumber}`, the
//! reference variant `/api/track/v1/reference/details/{referenceNumber}` and
//! `/api/track/v1/shipment/details/{inquiryNumber}`. Like UPS it wants a bearer token it
//! issued and still honours (401 with 250002 otherwise, UPS's one answer for a token it does
//! not accept), both `transId` (at most 32 characters) and `transactionSrc` (400 otherwise),
//! and an inquiry number of 7 to 34 characters; it answers a `TrackApiResponse` for the
//! documented test numbers below and 404 for any other. Faults (`/_simulator/fault` with
//! endpoint `track`) answer the next N calls with e.g. 429 and `Retry-After`, or 503.

use serde_json::{json, Value};

use super::http::{Incoming, Reply};
use super::state::{now_ms, Endpoint};
use super::wire::{Params, UpsError};
use super::Shared;
use base64::Engine;

/// UPS's code for a token it does not accept (NOTES: field facts).
pub(crate) const INVALID_AUTHENTICATION: (&str, &str) =
    ("250002", "Invalid Authentication Information");
/// UPS's Track codes for a malformed and for an unknown number.
const INVALID_NUMBER: (&str, &str) = ("151018", "Invalid tracking number");
const NO_INFORMATION: (&str, &str) = ("151044", "No tracking information available");

/// The test numbers the simulator knows: (inquiry number, reference number, state).
pub(crate) const TEST_NUMBERS: [(&str, &str, Progress); 4] = [
    ("1Z12345E0205271688", "ShipRef123", Progress::Delivered),
    ("1Z023E2X0214323462", "PO-4471", Progress::InTransit),
    ("1Z12345E1305277940", "INV-20261201", Progress::OriginScan),
    ("1Z12345E6605272234", "RMA-5512", Progress::Exception),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    OriginScan,
    InTransit,
    Exception,
    Delivered,
}

/// A Track API path: which variant and the number it names.
enum Route<'a> {
    Details(&'a str),
    Reference(&'a str),
    Shipment(&'a str),
}

fn route_of(path: &str) -> Option<Route<'_>> {
    let number = |prefix: &str| {
        path.strip_prefix(prefix)
            .filter(|n| !n.is_empty() && !n.contains('/'))
    };
    number("/api/track/v1/details/")
        .map(Route::Details)
        .or_else(|| number("/api/track/v1/reference/details/").map(Route::Reference))
        .or_else(|| number("/api/track/v1/shipment/details/").map(Route::Shipment))
}

fn envelope(status: u16, (code, message): (&str, &str)) -> Reply {
    Reply::json(
        status,
        &json!({"response": {"errors": [{"code": code, "message": message}]}}),
    )
}

/// `/api/...`: a Track API call, or 404 in UPS's envelope.
pub(crate) fn serve(shared: &Shared, req: &Incoming) -> Reply {
    let Some(route) = route_of(&req.path) else {
        return UpsError::new(404, super::wire::msg::NOT_FOUND).reply();
    };
    if req.method != "GET" {
        return UpsError::new(405, super::wire::msg::METHOD_NOT_ALLOWED)
            .reply()
            .with_header("Allow", "GET");
    }
    let fault = shared.lock().record(Endpoint::Track);
    if let Some(fault) = fault {
        if fault.body.is_empty() && fault.status >= 400 {
            let mut reply = match fault.status {
                401 => envelope(401, INVALID_AUTHENTICATION),
                429 => envelope(429, ("10429", super::wire::msg::TOO_MANY_REQUESTS)),
                503 => envelope(503, ("10503", "Resource is not available")),
                status => UpsError::new(status, super::wire::msg::INTERNAL).reply(),
            };
            for (name, value) in &fault.headers {
                reply = reply.with_header(name, value);
            }
            return reply;
        }
        return super::oauth::fault_reply(fault);
    }
    if !bearer_accepted(shared, req) {
        return envelope(401, INVALID_AUTHENTICATION);
    }
    for header in ["transId", "transactionSrc"] {
        let value = req.header(header).map(str::trim).unwrap_or_default();
        if req.header_count(header) != 1 || value.is_empty() {
            return envelope(
                400,
                ("10400", &format!("Missing or invalid {header} header")),
            );
        }
    }
    if req.header("transId").is_some_and(|t| t.trim().len() > 32) {
        return envelope(400, ("10400", "transId is longer than 32 characters"));
    }
    let params = Params::parse(
        req.query.as_bytes(),
        &["locale", "returnSignature", "returnMilestones", "returnPOD"],
    )
    .unwrap_or_default();
    let yes = |name: &str| params.get(name) == Some("true");
    let wanted = Wanted {
        milestones: yes("returnMilestones"),
        signature: yes("returnSignature"),
        pod: yes("returnPOD"),
        pod_bytes: shared.lock().behaviour.track_pod_bytes,
    };
    let found = match route {
        Route::Details(n) | Route::Shipment(n) => {
            let n = percent_decoded(n);
            if !(7..=34).contains(&n.chars().count()) {
                return envelope(400, INVALID_NUMBER);
            }
            TEST_NUMBERS.iter().find(|(number, _, _)| *number == n)
        }
        Route::Reference(r) => {
            let r = percent_decoded(r);
            TEST_NUMBERS
                .iter()
                .find(|(_, reference, _)| *reference == r)
        }
    };
    match found {
        Some((number, reference, progress)) => {
            Reply::json(200, &track_response(number, reference, *progress, &wanted))
        }
        None => envelope(404, NO_INFORMATION),
    }
}

fn percent_decoded(text: &str) -> String {
    url::form_urlencoded::parse(format!("n={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// `Authorization: Bearer T` (once) with T an access token the simulator issued and still
/// honours (not expired, no password change since).
fn bearer_accepted(shared: &Shared, req: &Incoming) -> bool {
    if req.header_count("authorization") != 1 {
        return false;
    }
    let Some(token) = req
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    shared
        .lock()
        .introspect(token.trim(), now_ms())
        .is_some_and(|i| i.active && i.token_type == "access_token")
}

/// What the query asked to be included.
struct Wanted {
    milestones: bool,
    signature: bool,
    pod: bool,
    pod_bytes: usize,
}

fn activity(
    date: &str,
    time: &str,
    city: &str,
    state: &str,
    code: &str,
    kind: &str,
    text: &str,
) -> Value {
    json!({
        "date": date, "time": time, "gmtDate": date, "gmtTime": time, "gmtOffset": "-05:00",
        "location": {"address": {"city": city, "stateProvince": state, "countryCode": "US", "country": "US"}, "slic": "8566"},
        "status": {"type": kind, "code": code, "statusCode": "003", "description": text, "simplifiedTextDescription": text},
        "logicalScan": false
    })
}

/// A `TrackApiResponse` for one of the test numbers.
fn track_response(number: &str, reference: &str, progress: Progress, wanted: &Wanted) -> Value {
    // Oldest first here; UPS lists the most recent first.
    let mut activities = vec![
        activity(
            "20261201",
            "071356",
            "Wayne",
            "NJ",
            "MP",
            "M",
            "Shipper created a label, UPS has not received the package yet.",
        ),
        activity(
            "20261201",
            "183000",
            "Secaucus",
            "NJ",
            "OR",
            "I",
            "Origin Scan",
        ),
    ];
    if progress != Progress::OriginScan {
        activities.push(activity(
            "20261202",
            "041500",
            "Columbus",
            "OH",
            "DP",
            "I",
            "Departed from Facility",
        ));
    }
    match progress {
        Progress::Exception => activities.push(activity("20261203", "101000", "Atlanta", "GA", "RS", "X", "The receiver was not available for delivery. We'll make a second attempt the next business day.")),
        Progress::Delivered => activities.push(activity("20261203", "143500", "Atlanta", "GA", "KB", "D", "Delivered")),
        Progress::OriginScan | Progress::InTransit => {}
    }
    activities.reverse();
    let current = activities[0]["status"].clone();
    let delivered = progress == Progress::Delivered;
    let mut package = json!({
        "trackingNumber": number,
        "activity": activities,
        "currentStatus": current,
        "deliveryDate": [{"type": if delivered { "DEL" } else { "SDD" }, "date": "20261203"}],
        "deliveryTime": if delivered { json!({"type": "DEL", "endTime": "143500"}) } else { json!({"type": "EOD", "endTime": "230000"}) },
        "packageAddress": [
            {"type": "ORIGIN", "name": "ACME SHIPPING", "address": {"city": "Wayne", "stateProvince": "NJ", "postalCode": "07470", "countryCode": "US", "country": "US"}},
            {"type": "DESTINATION", "name": "JANE DOE", "attentionName": "Receiving", "address": {"city": "Atlanta", "stateProvince": "GA", "postalCode": "30301", "countryCode": "US", "country": "US"}}
        ],
        "packageCount": 1,
        "referenceNumber": [{"type": "SHIPMENT", "number": reference}],
        "service": {"code": "003", "levelCode": "GND", "description": "UPS Ground"},
        "weight": {"unitOfMeasurement": "LBS", "weight": "5.60"},
        "dimension": {"height": "10.00", "length": "12.00", "width": "8.00", "unitOfDimension": "IN"},
        "additionalAttributes": [],
        "additionalServices": ["SIGNATURE_REQUIRED"],
        "isSmartPackage": false,
        "ucixStatus": if delivered { "C" } else { "O" },
        "statusCode": current["statusCode"].clone(),
        "statusDescription": current["description"].clone()
    });
    if delivered {
        let mut info = json!({"location": "Front Door", "receivedBy": "DOE"});
        if wanted.signature {
            info["signature"] = json!({"image": image(2048)});
        }
        if wanted.pod {
            info["pod"] = json!({"content": image(wanted.pod_bytes)});
        }
        package["deliveryInformation"] = info;
    }
    if wanted.milestones {
        let done = |reached: bool| {
            if reached {
                "This milestone has already occurred"
            } else {
                "This milestone has not yet been completed"
            }
        };
        package["milestones"] = json!([
            {"category": "Label Created", "code": "MP", "current": progress == Progress::OriginScan, "description": "Label Created", "linkedActivity": "0", "state": done(true)},
            {"category": "In Transit", "code": "IT", "current": matches!(progress, Progress::InTransit | Progress::Exception), "description": "In Transit", "state": done(progress != Progress::OriginScan)},
            {"category": "Delivered", "code": "DL", "current": delivered, "description": "Delivered", "state": done(delivered)}
        ]);
    }
    json!({"trackResponse": {"shipment": [{
        "inquiryNumber": number,
        "package": [package],
        "userRelation": [],
        "warnings": []
    }]}})
}

/// A base64 "image" of `bytes` bytes (a GIF header, then filler): its size is what matters.
fn image(bytes: usize) -> String {
    let mut raw = b"GIF89a".to_vec();
    raw.resize(bytes.max(raw.len()), 0x5a);
    base64::engine::general_purpose::STANDARD.encode(raw)
}
