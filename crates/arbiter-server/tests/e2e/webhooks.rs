//! Webhooks: effects reach their subscribers signed, retried until delivered or failed, each
//! delivery listed; subscriptions are checked (no internal addresses, known actions) and
//! deleted. Policy changes reach their subscribers through the same outbox (see `policy`).

use crate::common::{TestApp, on_both_backends};
use crate::protect::{decide, message, ok_json, problem, publish, put_list, settle};
use arbiter_model::Role;
use serde_json::{Value, json};
use std::time::Duration;

on_both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    effects_reach_subscribers_signed_and_retried,
);

/// A webhook receiver on a random port: records what it gets, answers 500 to the first
/// `failures` requests.
pub(crate) async fn receiver(
    failures: usize,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, String)>>>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    let received: Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>> = Arc::default();
    let calls = Arc::new(AtomicUsize::new(0));
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let sink = sink.clone();
            let calls = calls.clone();
            async move {
                if calls.fetch_add(1, Ordering::SeqCst) < failures {
                    return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                }
                sink.lock().unwrap().push((headers, body));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}/hook"), received)
}

async fn effects_reach_subscribers_signed_and_retried(app: &TestApp) {
    let (url, received) = receiver(1).await;
    let created = ok_json(
        app.post_json(
            "/v1/webhooks",
            &json!({"url": url, "description": "case tool", "actions": ["review", "tag"]}),
        )
        .send()
        .await
        .unwrap(),
        201,
    )
    .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    // A second subscriber that is down: its deliveries fail in the end, the first's do not wait.
    let dead = ok_json(
        app.post_json(
            "/v1/webhooks",
            &json!({"url": "http://127.0.0.1:9/nothing"}),
        )
        .send()
        .await
        .unwrap(),
        201,
    )
    .await;

    put_list(app, "disposable_domains", &["mailinator.com"]).await;
    ok_json(publish(app, arbiter_rules::STARTER_PACK, "").await, 201).await;
    let decision = decide(
        app,
        &message("m_1", "Pay me directly on Venmo and we skip the fee."),
    )
    .await;
    assert_eq!(decision["verdict"], "review");

    // Three actions (review, violation, tag); the first webhook takes review and tag.
    settle(app).await;
    let effects = ok_json(app.get("/v1/effects?event=m_1").send().await.unwrap(), 200).await;
    let effects = effects["effects"].as_array().unwrap();
    assert_eq!(effects.len(), 3, "{effects:?}");
    assert!(
        effects
            .iter()
            .all(|e| e["user_id"] == "k_1" && e["rules"] == json!(["OFFPLATFORM-PAYMENT"]))
    );
    let by_user = ok_json(
        app.get("/v1/effects?user=k_1&action=violation")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(
        by_user["effects"][0]["action"],
        json!({"type": "violation", "standard": "POL-PAYMENTS §2.1"})
    );

    // Delivered after one 500, signed.
    let mut delivered = Vec::new();
    for _ in 0..200 {
        delivered = ok_json(
            app.get(&format!("/v1/webhooks/{id}/deliveries?state=delivered"))
                .send()
                .await
                .unwrap(),
            200,
        )
        .await
        .as_array()
        .unwrap()
        .clone();
        if delivered.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(delivered.len(), 2, "{delivered:?}");
    assert!(
        delivered.iter().any(|d| d["attempts"] == 2),
        "{delivered:?}"
    );
    let bodies = received.lock().unwrap().clone();
    assert_eq!(bodies.len(), 2);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for (headers, body) in &bodies {
        let signature = headers["arbiter-signature"].to_str().unwrap();
        assert!(
            arbiter_app::webhooks::verify(&secret, signature, body.as_bytes(), now, 300),
            "{signature}"
        );
        assert!(!arbiter_app::webhooks::verify(
            "whsec_wrong",
            signature,
            body.as_bytes(),
            now,
            300
        ));
        let payload: Value = serde_json::from_str(body).unwrap();
        assert_eq!(payload["event_id"], "m_1");
        assert!(["review", "tag"].contains(&payload["action"]["type"].as_str().unwrap()));
        assert!(headers.contains_key("arbiter-delivery"));
    }

    // The dead endpoint: every effect retried, then given up, with the reason kept.
    let dead_id = dead["id"].as_str().unwrap();
    let mut failed = Vec::new();
    for _ in 0..200 {
        failed = ok_json(
            app.get(&format!("/v1/webhooks/{dead_id}/deliveries?state=failed"))
                .send()
                .await
                .unwrap(),
            200,
        )
        .await
        .as_array()
        .unwrap()
        .clone();
        if failed.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(failed.len(), 3, "{failed:?}");
    // The reason is short: no error chain, no address.
    assert!(
        failed
            .iter()
            .all(|d| d["attempts"] == 4
                && d["last_error"] == "could not deliver: connection refused"),
        "{failed:?}"
    );

    // Managing webhooks: secrets never listed again; bad addresses refused; admins only.
    let listed = ok_json(app.get("/v1/webhooks").send().await.unwrap(), 200).await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w.get("secret").is_none())
    );
    // https:// is accepted (and preferred); internal addresses the allow-list does not name,
    // numeric hosts and credentials are refused with a problem naming the field.
    let tls = ok_json(
        app.post_json(
            "/v1/webhooks",
            &json!({"url": "https://hooks.example.com/arbiter", "actions": ["block"]}),
        )
        .send()
        .await
        .unwrap(),
        201,
    )
    .await;
    assert_eq!(tls["url"], "https://hooks.example.com/arbiter");
    let response = app
        .client
        .delete(app.url(&format!("/v1/webhooks/{}", tls["id"].as_str().unwrap())))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    for internal in [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.8:6379/",
        "http://0.0.0.0:8080/",
        "http://[::1]:8080/",
        "http://[::ffff:192.168.0.1]/",
        "http://2130706433/",
        "https://admin:hunter2@hooks.example.com/x",
    ] {
        let refused = problem(
            app.post_json("/v1/webhooks", &json!({"url": internal}))
                .send()
                .await
                .unwrap(),
            422,
        )
        .await;
        let detail = refused["detail"].as_str().unwrap();
        assert!(detail.starts_with("url: "), "{internal}: {detail}");
        assert!(!detail.contains("hunter2"), "{detail}");
    }
    // An address stored with credentials before they were refused is listed without them.
    app.store
        .create_webhook(&arbiter_store::WebhookRecord {
            id: "whk_old".into(),
            url: "https://admin:hunter2@hooks.example.com/old".into(),
            secret: "whsec_old".into(),
            topics: vec!["effects".into()],
            actions: vec!["block".into()],
            description: String::new(),
            created_by: "test".into(),
            created_at: 1,
            disabled_at: None,
        })
        .await
        .unwrap();
    let listed = ok_json(app.get("/v1/webhooks").send().await.unwrap(), 200).await;
    assert!(!listed.to_string().contains("hunter2"), "{listed}");
    assert!(
        listed
            .to_string()
            .contains("https://***@hooks.example.com/old"),
        "{listed}"
    );
    assert!(app.store.disable_webhook("whk_old", 2).await.unwrap());
    problem(
        app.post_json("/v1/webhooks", &json!({"url": "ftp://x"}))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    problem(
        app.post_json("/v1/webhooks", &json!({"url": url, "actions": ["launch"]}))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    let analyst = TestApp::token_for(&app.store, Role::Analyst).await;
    let response = app
        .client
        .get(app.url("/v1/webhooks"))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    problem(response, 403).await;
    let response = app
        .client
        .delete(app.url(&format!("/v1/webhooks/{id}")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let response = app
        .client
        .delete(app.url(&format!("/v1/webhooks/{id}")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    problem(response, 404).await;
}
