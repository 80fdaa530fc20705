//! The DashScope service's HTTP side: where it lives ([`endpoints`]), the one client that talks
//! to it ([`http`]), its temporary file storage ([`upload`]) and the custom-voice API
//! ([`customization`]).

pub mod customization;
pub mod endpoints;
pub mod http;
pub mod upload;
