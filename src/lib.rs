//! fitreg: the registry of a district's sports workforce.
//!
//! Data flows one way: [`api`] (JSON over HTTP) and [`web`] (the pages) -> [`services`] (use cases) -> [`domain`] (pure rules) and
//! [`entities`] (tables).

pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod entities;
pub mod error;
pub mod mail;
pub mod memory;
pub mod qr;
pub mod services;
pub mod web;
