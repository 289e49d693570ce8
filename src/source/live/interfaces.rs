//! The interfaces a capture can open, as `--list` shows them.

use super::frame::{LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2};
use super::{ANY, ARPHRD_ETHER, ARPHRD_LOOPBACK};

/// One interface, as `--list` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceInfo {
    pub name: String,
    pub index: u32,
    pub up: bool,
    /// Carrier present (IFF_RUNNING).
    pub running: bool,
    pub loopback: bool,
    /// Addresses with prefix length, e.g. `127.0.0.1/8`.
    pub addresses: Vec<String>,
    /// ARPHRD_* hardware type, when the system tells it.
    pub hatype: Option<u16>,
    /// pcap link type a capture on this interface produces.
    pub linktype: u32,
}

/// The interfaces of this machine, then the `any` pseudo-interface.
pub fn interfaces() -> Vec<InterfaceInfo> {
    let mut out: Vec<InterfaceInfo> = pnet_datalink::interfaces()
        .into_iter()
        .map(|i| {
            let hatype = hardware_type(&i.name);
            InterfaceInfo {
                addresses: i.ips.iter().map(|n| n.to_string()).collect(),
                up: i.is_up(),
                running: i.is_running(),
                loopback: i.is_loopback(),
                index: i.index,
                linktype: linktype_for(hatype, &i.name),
                name: i.name,
                hatype,
            }
        })
        .collect();
    out.push(InterfaceInfo {
        name: ANY.to_string(),
        index: 0,
        up: true,
        running: true,
        loopback: false,
        addresses: Vec::new(),
        hatype: None,
        linktype: LINKTYPE_LINUX_SLL2,
    });
    out
}

/// ARPHRD_* type of `name` from sysfs.
fn hardware_type(name: &str) -> Option<u16> {
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return None;
    }
    std::fs::read_to_string(format!("/sys/class/net/{name}/type")).ok()?.trim().parse().ok()
}

/// Raw Ethernet frames for Ethernet and loopback; cooked SLL2 for everything else (and for an
/// unknown type, since a cooked socket works on any interface).
fn linktype_for(hatype: Option<u16>, name: &str) -> u32 {
    match hatype {
        _ if name == ANY => LINKTYPE_LINUX_SLL2,
        Some(ARPHRD_ETHER) | Some(ARPHRD_LOOPBACK) => LINKTYPE_ETHERNET,
        _ => LINKTYPE_LINUX_SLL2,
    }
}

/// pcap's name for a link type, for messages.
pub fn linktype_name(linktype: u32) -> &'static str {
    match linktype {
        LINKTYPE_ETHERNET => "EN10MB",
        LINKTYPE_LINUX_SLL2 => "LINUX_SLL2",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interfaces_include_loopback_and_any() {
        let list = interfaces();
        let lo = list.iter().find(|i| i.loopback).expect("a loopback interface");
        assert_eq!(lo.hatype, Some(ARPHRD_LOOPBACK));
        assert_eq!(lo.linktype, LINKTYPE_ETHERNET);
        assert!(lo.addresses.iter().any(|a| a == "127.0.0.1/8"), "{:?}", lo.addresses);
        assert!(lo.up);
        let any = list.last().unwrap();
        assert_eq!((any.name.as_str(), any.linktype), (ANY, LINKTYPE_LINUX_SLL2));
    }

    #[test]
    fn link_types_follow_hardware_types() {
        assert_eq!(linktype_for(Some(1), "eth0"), LINKTYPE_ETHERNET);
        assert_eq!(linktype_for(Some(772), "lo"), LINKTYPE_ETHERNET);
        // ARPHRD_NONE (tun), ARPHRD_IPGRE and unknown types are read cooked.
        assert_eq!(linktype_for(Some(65534), "tun0"), LINKTYPE_LINUX_SLL2);
        assert_eq!(linktype_for(Some(778), "gre1"), LINKTYPE_LINUX_SLL2);
        assert_eq!(linktype_for(None, "x"), LINKTYPE_LINUX_SLL2);
        assert_eq!(linktype_for(Some(1), ANY), LINKTYPE_LINUX_SLL2);
        assert_eq!(hardware_type("../../etc"), None);
    }
}
