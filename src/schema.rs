//! Diesel table definitions, kept by hand: `diesel migration run` would rewrite them with one
//! backend's types, and the two backends must share one schema (see `tests/schema_parity.rs`).

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    offices (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        level -> Text,
        parent_id -> Nullable<Text>,
        timezone -> Text,
        path -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    targets (office_id, year) {
        office_id -> Text,
        year -> Integer,
        eligible_population -> BigInt,
        target_percent -> Double,
        baseline_activations -> BigInt,
        baseline_date -> Nullable<Date>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        username_key -> Text,
        full_name -> Text,
        password_hash -> Text,
        role -> Text,
        office_id -> Text,
        active -> Bool,
        auth_epoch -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_throttle (throttle_key) {
        throttle_key -> Text,
        window_start -> Timestamp,
        failures -> Integer,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        office_id -> Nullable<Text>,
        action -> Text,
        subject_type -> Text,
        subject_id -> Nullable<Text>,
        detail -> Nullable<Text>,
        client_addr -> Nullable<Text>,
    }
}

diesel::table! {
    channels (id) {
        id -> Text,
        office_id -> Nullable<Text>,
        key -> Text,
        name -> Text,
        name_id -> Text,
        builtin -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    events (id) {
        id -> Text,
        office_id -> Text,
        channel_key -> Text,
        title -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        local_date -> Date,
        area_code -> Nullable<Text>,
        venue -> Nullable<Text>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        cost_idr -> Nullable<BigInt>,
        notes -> Nullable<Text>,
        status -> Text,
        review_comment -> Nullable<Text>,
        reviewed_by -> Nullable<Text>,
        reviewed_at -> Nullable<Timestamp>,
        content_hash -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    event_staff (event_id, user_id) {
        event_id -> Text,
        user_id -> Text,
        hours -> Double,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    activations (id) {
        id -> Text,
        event_id -> Text,
        office_id -> Text,
        channel_key -> Text,
        staff_id -> Text,
        recorded_at -> Timestamp,
        local_date -> Date,
        outcome -> Text,
        failure_reason -> Nullable<Text>,
        age_band -> Nullable<Text>,
        sex -> Nullable<Text>,
        area_code -> Nullable<Text>,
        nik_hash -> Nullable<Text>,
        home_district -> Nullable<Text>,
        repeat_citizen -> Bool,
        content_hash -> Text,
        voided_at -> Nullable<Timestamp>,
        voided_by -> Nullable<Text>,
        void_reason -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    citizens (office_id, nik_hash) {
        office_id -> Text,
        nik_hash -> Text,
        first_activation_id -> Text,
    }
}

diesel::table! {
    event_tallies (event_id) {
        event_id -> Text,
        activated -> Integer,
        failed -> Integer,
        failed_no_smartphone -> Integer,
        failed_phone_no_camera -> Integer,
        failed_no_signal -> Integer,
        failed_ektp_not_recorded -> Integer,
        failed_data_mismatch -> Integer,
        failed_no_email -> Integer,
        failed_declined -> Integer,
        failed_app_error -> Integer,
        failed_other -> Integer,
    }
}

diesel::table! {
    daily_tallies (office_id, local_date) {
        office_id -> Text,
        local_date -> Date,
        activated -> Integer,
        failed -> Integer,
    }
}

diesel::table! {
    event_outcome_tallies (event_id, outcome, failure_reason, age_band) {
        event_id -> Text,
        outcome -> Text,
        failure_reason -> Text,
        age_band -> Text,
        n -> Integer,
    }
}

diesel::table! {
    residence_tallies (office_id, year, home_district) {
        office_id -> Text,
        year -> Integer,
        home_district -> Text,
        activated -> Integer,
    }
}

diesel::table! {
    event_shares (event_id) {
        event_id -> Text,
        office_id -> Text,
        month -> Date,
        channel_key -> Text,
        cost_idr -> Nullable<BigInt>,
        staff_micro_hours -> BigInt,
        staff_entries -> Integer,
        activated -> Integer,
        failed -> Integer,
        failed_no_smartphone -> Integer,
        failed_phone_no_camera -> Integer,
        failed_no_signal -> Integer,
        failed_ektp_not_recorded -> Integer,
        failed_data_mismatch -> Integer,
        failed_no_email -> Integer,
        failed_declined -> Integer,
        failed_app_error -> Integer,
        failed_other -> Integer,
        local_date -> Date,
        area_code -> Text,
    }
}

diesel::table! {
    month_tallies (office_id, month, channel_key) {
        office_id -> Text,
        month -> Date,
        channel_key -> Text,
        events -> Integer,
        activated -> Integer,
        failed -> Integer,
        failed_no_smartphone -> Integer,
        failed_phone_no_camera -> Integer,
        failed_no_signal -> Integer,
        failed_ektp_not_recorded -> Integer,
        failed_data_mismatch -> Integer,
        failed_no_email -> Integer,
        failed_declined -> Integer,
        failed_app_error -> Integer,
        failed_other -> Integer,
        cost_idr -> BigInt,
        cost_events -> Integer,
        staff_micro_hours -> BigInt,
        staff_entries -> Integer,
    }
}

diesel::table! {
    month_histogram (office_id, month, channel_key, activated) {
        office_id -> Text,
        month -> Date,
        channel_key -> Text,
        activated -> Integer,
        events -> Integer,
    }
}

diesel::table! {
    areas (code) {
        code -> Text,
        parent_code -> Nullable<Text>,
        level -> Text,
        name -> Text,
    }
}
diesel::table! {
    web_sessions (id) {
        id -> Text,
        user_id -> Text,
        auth_epoch -> Integer,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::joinable!(users -> offices (office_id));
diesel::joinable!(web_sessions -> users (user_id));
diesel::joinable!(event_tallies -> events (event_id));
diesel::joinable!(event_outcome_tallies -> events (event_id));
diesel::joinable!(targets -> offices (office_id));
diesel::joinable!(events -> offices (office_id));
diesel::joinable!(event_staff -> events (event_id));
diesel::joinable!(staff_shares -> events (event_id));
diesel::joinable!(event_shares -> events (event_id));
diesel::joinable!(event_staff -> users (user_id));
diesel::joinable!(activations -> events (event_id));

diesel::table! {
    staff_shares (event_id, user_id) {
        event_id -> Text,
        user_id -> Text,
        office_id -> Text,
        month -> Date,
        records -> Integer,
        activated -> Integer,
        failed -> Integer,
        failed_no_smartphone -> Integer,
        failed_phone_no_camera -> Integer,
        failed_no_signal -> Integer,
        failed_ektp_not_recorded -> Integer,
        failed_data_mismatch -> Integer,
        failed_no_email -> Integer,
        failed_declined -> Integer,
        failed_app_error -> Integer,
        failed_other -> Integer,
        staff_micro_hours -> BigInt,
        staff_entries -> Integer,
    }
}

diesel::table! {
    staff_month_tallies (office_id, month, user_id) {
        office_id -> Text,
        month -> Date,
        user_id -> Text,
        events -> Integer,
        activated -> Integer,
        failed -> Integer,
        failed_no_smartphone -> Integer,
        failed_phone_no_camera -> Integer,
        failed_no_signal -> Integer,
        failed_ektp_not_recorded -> Integer,
        failed_data_mismatch -> Integer,
        failed_no_email -> Integer,
        failed_declined -> Integer,
        failed_app_error -> Integer,
        failed_other -> Integer,
        staff_micro_hours -> BigInt,
        staff_entries -> Integer,
    }
}

diesel::table! {
    outcome_month_tallies (office_id, month, channel_key, outcome, failure_reason, age_band) {
        office_id -> Text,
        month -> Date,
        channel_key -> Text,
        outcome -> Text,
        failure_reason -> Text,
        age_band -> Text,
        n -> Integer,
    }
}

diesel::table! {
    subtree_days (office_id, local_date) {
        office_id -> Text,
        local_date -> Date,
        activated -> Integer,
        failed -> Integer,
    }
}

diesel::table! {
    channel_days (office_id, local_date, channel_key) {
        office_id -> Text,
        local_date -> Date,
        channel_key -> Text,
        events -> Integer,
        activated -> Integer,
        failed -> Integer,
        failed_no_smartphone -> Integer,
        failed_phone_no_camera -> Integer,
        failed_no_signal -> Integer,
        failed_ektp_not_recorded -> Integer,
        failed_data_mismatch -> Integer,
        failed_no_email -> Integer,
        failed_declined -> Integer,
        failed_app_error -> Integer,
        failed_other -> Integer,
        cost_idr -> BigInt,
        cost_events -> Integer,
        staff_micro_hours -> BigInt,
        staff_entries -> Integer,
    }
}

diesel::table! {
    channel_day_histogram (office_id, local_date, channel_key, activated) {
        office_id -> Text,
        local_date -> Date,
        channel_key -> Text,
        activated -> Integer,
        events -> Integer,
    }
}

diesel::table! {
    area_days (office_id, area_code, local_date) {
        office_id -> Text,
        area_code -> Text,
        local_date -> Date,
        events -> Integer,
        activated -> Integer,
        failed -> Integer,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    event_shares,
    month_tallies,
    month_histogram,
    staff_shares,
    staff_month_tallies,
    outcome_month_tallies,
    subtree_days,
    channel_days,
    channel_day_histogram,
    area_days,
    settings,
    offices,
    targets,
    users,
    refresh_tokens,
    login_throttle,
    audit_log,
    channels,
    events,
    event_staff,
    activations,
    citizens,
    event_tallies,
    daily_tallies,
    event_outcome_tallies,
    residence_tallies,
    areas,
    web_sessions,
);

// The failures report groups event outcome tallies by their event's channel.
diesel::allow_columns_to_appear_in_same_group_by_clause!(
    events::channel_key,
    event_outcome_tallies::outcome,
    event_outcome_tallies::failure_reason,
    event_outcome_tallies::age_band,
);
