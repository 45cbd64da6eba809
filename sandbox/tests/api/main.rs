//! The sandbox over HTTP, as a merchant's client and webhook receiver see it (one test binary).

mod cinetpay;
mod helpers;
mod pages;
mod paygate;
mod stripe;
