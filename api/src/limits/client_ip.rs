//! Who the client is: the TCP peer, unless the peer is a trusted proxy, in which case the
//! nearest untrusted address of `X-Forwarded-For` (or `Forwarded: for=`). Anyone else's
//! forwarding headers are ignored, so a client cannot pick its own rate-limit key.

use std::net::IpAddr;

use actix_web::http::header::HeaderMap;
use ipnet::IpNet;

/// The client of a request from `peer` carrying `headers`.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    // Right to left: each proxy appends the address it received from.
    forwarded_chain(headers)
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .unwrap_or(peer)
}

/// The addresses of `X-Forwarded-For`, else of `Forwarded`'s `for=` parameters, in order.
fn forwarded_chain(headers: &HeaderMap) -> Vec<IpAddr> {
    let values = |name: &str| {
        headers
            .get_all(name)
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let x_forwarded: Vec<IpAddr> = values("x-forwarded-for")
        .iter()
        .filter_map(|item| item.parse().ok())
        .collect();
    if !x_forwarded.is_empty() {
        return x_forwarded;
    }
    values("forwarded")
        .iter()
        .flat_map(|element| element.split(';'))
        .filter_map(|pair| {
            pair.trim()
                .strip_prefix("for=")
                .or(pair.trim().strip_prefix("For="))
        })
        .filter_map(|node| {
            let node = node.trim_matches('"');
            // `[2001:db8::1]:4711`, `192.0.2.60:80` or a bare address.
            let host = match node.strip_prefix('[') {
                Some(rest) => rest.split(']').next().unwrap_or(rest),
                None => node
                    .split(':')
                    .next()
                    .filter(|_| node.matches(':').count() == 1)
                    .unwrap_or(node),
            };
            host.parse().ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    #[test]
    fn only_a_trusted_peer_may_name_the_client() {
        let proxy: IpAddr = "10.0.0.5".parse().expect("ip");
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("net")];
        let forwarded = headers(&[("x-forwarded-for", "203.0.113.9, 10.0.0.7")]);
        assert_eq!(
            client_ip(proxy, &forwarded, &trusted),
            "203.0.113.9".parse::<IpAddr>().expect("ip")
        );
        let stranger: IpAddr = "198.51.100.1".parse().expect("ip");
        assert_eq!(
            client_ip(stranger, &forwarded, &trusted),
            stranger,
            "spoofed header ignored"
        );
        assert_eq!(
            client_ip(proxy, &forwarded, &[]),
            proxy,
            "no trusted proxies: the peer"
        );
        let rfc7239 = headers(&[(
            "forwarded",
            "for=192.0.2.60;proto=http, for=\"[2001:db8::1]:4711\"",
        )]);
        assert_eq!(
            client_ip(proxy, &rfc7239, &trusted),
            "2001:db8::1".parse::<IpAddr>().expect("ip")
        );
        assert_eq!(client_ip(proxy, &headers(&[]), &trusted), proxy);
    }
}
