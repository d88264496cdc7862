//! `POST /dashboard/events/{id}/outcome` (operators and administrators): the fleet desk records
//! the outcome of an event the rig has not answered — the crew said it on the phone, or the
//! rig's link is down. Audited with the user's name; the rig's own later answer still wins.

use super::{message, refuse_below};
use crate::fleet::{EventId, EventOutcome, OutcomeUpdate};
use crate::hub::api::with_db;
use crate::hub::auth::{PageAuth, Role};
use crate::hub::db::audit::Who;
use crate::hub::db::events::{OutcomeBy, OutcomeChange};
use crate::hub::db::{self};
use crate::hub::intake;
use crate::hub::state::AppState;
use crate::web::{client_address, ApiError};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

/// The outcome form on a rig's page.
#[derive(Debug, Deserialize)]
pub struct OutcomeForm {
    /// `resolved`, `escalated` or `false_positive`.
    status: String,
    /// The action taken, or the reason it was escalated.
    #[serde(default)]
    text: String,
}

impl OutcomeForm {
    fn outcome(self) -> Result<EventOutcome, String> {
        let text = self.text.trim().to_owned();
        match self.status.as_str() {
            "resolved" => Ok(EventOutcome::Resolved { action_taken: text }),
            "escalated" => Ok(EventOutcome::Escalated { reason: text }),
            "false_positive" => Ok(EventOutcome::FalsePositive),
            other => Err(format!(
                "the outcome must be resolved, escalated or false_positive, not {other:?}"
            )),
        }
    }
}

/// Record the outcome, then back to the rig's page (303); a refusal is a page saying why.
pub async fn record(
    req: HttpRequest,
    auth: PageAuth,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<OutcomeForm>,
) -> Result<HttpResponse, ApiError> {
    if let Some(refused) = refuse_below(&auth.0, Role::Operator) {
        return refused;
    }
    let Ok(id) = EventId::parse(&id.into_inner()) else {
        return message(
            StatusCode::NOT_FOUND,
            "No such event",
            "That is not an event id.".into(),
        );
    };
    let update = match form.into_inner().outcome() {
        Ok(outcome) => OutcomeUpdate {
            outcome,
            notes: None,
            course: None,
        },
        Err(why) => return message(StatusCode::BAD_REQUEST, "Outcome not recorded", why),
    };
    if let Err(why) = intake::check_outcome_update(&update) {
        return message(
            StatusCode::BAD_REQUEST,
            "Outcome not recorded",
            format!("{why}. Go back and fill it in."),
        );
    }
    let (actor, source, lookup) = (auth.0.actor(), client_address(&req), id.clone());
    let change = with_db(&state, move |conn| {
        let who = Who {
            actor: &actor,
            source: &source,
        };
        db::events::update_outcome(conn, lookup.as_str(), OutcomeBy::Desk(who), &update)
    })
    .await?;
    match change {
        OutcomeChange::Updated(row) => {
            state.curator.wake();
            log::info!(
                "{} recorded the outcome of event {id} of rig {}",
                auth.0.actor(),
                row.rig_id
            );
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/dashboard/rigs/{}", row.rig_id)))
                .finish())
        }
        OutcomeChange::NotFound | OutcomeChange::NotOwner => message(
            StatusCode::NOT_FOUND,
            "No such event",
            format!("No event {id} is stored on this hub."),
        ),
    }
}
