//! Diesel's view of the tables created by `migrations/`; keep the two in step.

diesel::table! {
    rigs (rig_id) {
        rig_id -> Text,
        well_id -> Text,
        field -> Text,
        key_id -> Text,
        key_hash -> Text,
        status -> Text,
        registered_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        last_seen -> Nullable<Timestamptz>,
        last_sync -> Nullable<Timestamptz>,
        library_version -> Nullable<Int8>,
        event_count -> Int8,
        updated_at -> Timestamptz,
        clock_offset_secs -> Nullable<Float8>,
        clock_checked_at -> Nullable<Timestamptz>,
        tunnel_address -> Nullable<Text>,
        wg_public_key -> Nullable<Text>,
        heartbeat_at -> Nullable<Timestamptz>,
        heartbeat -> Nullable<Jsonb>,
    }
}

diesel::table! {
    heartbeats (rig_id, received_at) {
        rig_id -> Text,
        received_at -> Timestamptz,
        sent_at -> Timestamptz,
        interval_secs -> Float8,
        rig_state -> Text,
        depth_ft -> Nullable<Float8>,
        rop_ft_h -> Nullable<Float8>,
        on_bottom_secs -> Float8,
        mse_efficiency -> Nullable<Float8>,
        open_incidents -> Int4,
        open_critical -> Int4,
        unacknowledged -> Int4,
        alarms_last_hour -> Int4,
        stream_alive -> Bool,
        sensors_out -> Int4,
        queue_depth -> Int4,
        dead_letters -> Int4,
        clock_offset_secs -> Nullable<Float8>,
        faults -> Int4,
    }
}

diesel::table! {
    heartbeat_hours (rig_id, hour) {
        rig_id -> Text,
        hour -> Timestamptz,
        beats -> Int4,
        depth_ft -> Nullable<Float8>,
        on_bottom_secs -> Float8,
        rop_ft_h -> Nullable<Float8>,
        mse_efficiency -> Nullable<Float8>,
        open_incidents_max -> Int4,
        critical_beats -> Int4,
        unacknowledged_max -> Int4,
        alarms_max -> Int4,
        stale_beats -> Int4,
        dead_letters_max -> Int4,
        clock_offset_secs -> Nullable<Float8>,
    }
}

diesel::table! {
    rig_health (rig_id) {
        rig_id -> Text,
        computed_at -> Timestamptz,
        region -> Text,
        health -> Float8,
        components -> Jsonb,
        rank_in_region -> Int4,
        rank_in_fleet -> Int4,
        outliers -> Jsonb,
        status -> Text,
    }
}

diesel::table! {
    notifications (id) {
        id -> Int8,
        url -> Text,
        kind -> Text,
        dedup_key -> Text,
        payload -> Jsonb,
        created_at -> Timestamptz,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
        gave_up_at -> Nullable<Timestamptz>,
        last_status -> Nullable<Int4>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    region_health (region) {
        region -> Text,
        computed_at -> Timestamptz,
        rigs -> Int4,
        reporting -> Int4,
        health -> Nullable<Float8>,
        rank -> Int4,
        payload -> Jsonb,
    }
}

diesel::table! {
    correlations (region, category) {
        region -> Text,
        category -> Text,
        first_seen_at -> Timestamptz,
        updated_at -> Timestamptz,
        payload -> Jsonb,
    }
}

diesel::table! {
    analysers (id) {
        id -> Text,
        active -> Bool,
        min_confidence -> Float8,
        min_interval_secs -> Int4,
        last_run_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
        updated_by -> Text,
    }
}

diesel::table! {
    analysis_findings (id) {
        id -> Int8,
        analyser_id -> Text,
        analyser_version -> Int4,
        computed_at -> Timestamptz,
        rig_id -> Nullable<Text>,
        region -> Nullable<Text>,
        confidence -> Float8,
        summary -> Text,
        details -> Jsonb,
    }
}

diesel::table! {
    fleet_kpis (computed_at) {
        computed_at -> Timestamptz,
        payload -> Jsonb,
    }
}

diesel::table! {
    events (id) {
        id -> Text,
        rig_id -> Text,
        well_id -> Text,
        field -> Text,
        campaign -> Text,
        category -> Text,
        risk_level -> Text,
        outcome -> Text,
        depth_ft -> Float8,
        occurred_at -> Timestamptz,
        payload -> Jsonb,
        needs_curation -> Bool,
        received_at -> Timestamptz,
        outcome_updated_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
        curation_error -> Nullable<Text>,
        outcome_text -> Nullable<Text>,
        peak_level -> Nullable<Text>,
        duration_secs -> Nullable<Float8>,
        cleared_at -> Nullable<Timestamptz>,
        episode_id -> Nullable<Text>,
    }
}

diesel::table! {
    episodes (id) {
        id -> Text,
        rig_id -> Text,
        field -> Text,
        category -> Text,
        campaign -> Text,
        risk_level -> Text,
        outcome -> Text,
        depth_from_ft -> Float8,
        depth_to_ft -> Float8,
        score -> Float8,
        occurred_at -> Timestamptz,
        payload -> Jsonb,
        change_seq -> Int8,
        archived -> Bool,
        archived_at -> Nullable<Timestamptz>,
        archive_reason -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    sync_log (id) {
        id -> Int8,
        rig_id -> Text,
        since_version -> Nullable<Int8>,
        served_version -> Int8,
        delta_count -> Int4,
        pruned_count -> Int4,
        full_sync -> Bool,
        not_modified -> Bool,
        synced_at -> Timestamptz,
    }
}

diesel::table! {
    curation_runs (id) {
        id -> Int8,
        started_at -> Timestamptz,
        finished_at -> Timestamptz,
        events_curated -> Int4,
        episodes_merged -> Int4,
        archived -> Int4,
        rescored -> Int4,
        library_version -> Int8,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        at -> Timestamptz,
        actor -> Text,
        action -> Text,
        rig_id -> Nullable<Text>,
        detail -> Jsonb,
        source -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    users (name) {
        name -> Text,
        role -> Text,
        password_hash -> Text,
        created_at -> Timestamptz,
        password_changed_at -> Timestamptz,
        last_sign_in_at -> Nullable<Timestamptz>,
        disabled_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    library_meta (id) {
        id -> Int4,
        tombstone_floor -> Int8,
    }
}

diesel::table! {
    insight_segments (id) {
        id -> Int8,
        rig_id -> Text,
        field -> Text,
        well_id -> Text,
        report_seq -> Int8,
        made_at -> Timestamptz,
        received_at -> Timestamptz,
        from_ft -> Float8,
        to_ft -> Float8,
        samples -> Int4,
        dc_exponent -> Nullable<Float8>,
        mse_median_psi -> Nullable<Float8>,
        wob_lo -> Nullable<Float8>,
        wob_hi -> Nullable<Float8>,
        rpm_lo -> Nullable<Float8>,
        rpm_hi -> Nullable<Float8>,
        rop_median_ft_h -> Nullable<Float8>,
        best_samples -> Nullable<Int4>,
        founder_wob_klb -> Nullable<Float8>,
    }
}

diesel::joinable!(events -> rigs (rig_id));
diesel::joinable!(episodes -> rigs (rig_id));
diesel::joinable!(sync_log -> rigs (rig_id));
diesel::joinable!(heartbeats -> rigs (rig_id));
diesel::joinable!(analysis_findings -> analysers (analyser_id));
diesel::joinable!(rig_health -> rigs (rig_id));
diesel::joinable!(insight_segments -> rigs (rig_id));

diesel::allow_tables_to_appear_in_same_query!(
    rigs,
    events,
    episodes,
    sync_log,
    curation_runs,
    audit_log,
    users,
    heartbeats,
    rig_health,
    analysers,
    analysis_findings,
    insight_segments
);
