//! The sandbox over HTTP, as a merchant's client and webhook receiver see it (one test binary).

mod africastalking;
mod cinetpay;
mod faults;
mod helpers;
mod pages;
mod paygate;
mod phone;
mod stripe;
mod twilio;
