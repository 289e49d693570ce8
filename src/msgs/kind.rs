//! What a message event is: the kind the connection layer dispatches on, and the `name` it
//! shows (in JSON and the ladder) written once, here.

use super::names::Name;
use crate::registry::HandshakeType;

/// The kind of one message event: a handshake message, a record-level event, or an SSLv2
/// message. [`MessageKind::name`] is the event's `name` in JSON and text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageKind {
    HelloRequest,
    ClientHello,
    ServerHello,
    /// A ServerHello with the HelloRetryRequest random, or the draft message of type 6.
    HelloRetryRequest,
    HelloVerifyRequest,
    NewSessionTicket,
    EndOfEarlyData,
    EncryptedExtensions,
    RequestConnectionId,
    NewConnectionId,
    Certificate,
    ServerKeyExchange,
    CertificateRequest,
    ServerHelloDone,
    CertificateVerify,
    ClientKeyExchange,
    ClientCertificateRequest,
    Finished,
    CertificateUrl,
    CertificateStatus,
    SupplementalData,
    KeyUpdate,
    CompressedCertificate,
    EktKey,
    NextProtocol,
    MessageHash,
    /// A handshake message type no registry names: `Unknown<type>`.
    UnknownHandshake(u8),
    /// Handshake bytes that did not frame into messages.
    MalformedHandshake,
    /// A handshake record that could not be decrypted.
    EncryptedHandshake,
    ChangeCipherSpec,
    Alert,
    EncryptedAlert,
    /// An application_data record before the version is known, or in TLS 1.3 (it may hold
    /// handshake messages).
    EncryptedRecord,
    ApplicationData,
    Heartbeat,
    /// A DTLS 1.3 ACK record (RFC 9147 section 7).
    Ack,
    /// A record of a content type no registry names: `UnknownRecord<type>`.
    UnknownRecord(u8),
    Sslv2Error,
    Sslv2ClientMasterKey,
    Sslv2ClientFinished,
    Sslv2ServerHello,
    Sslv2ServerVerify,
    Sslv2ServerFinished,
    Sslv2RequestCertificate,
    Sslv2ClientCertificate,
    Sslv2Unknown,
    Sslv2EncryptedRecord,
    /// A name this enum does not know (only for [`MessageKind::from_name`]).
    Unknown,
}

impl From<HandshakeType> for MessageKind {
    fn from(t: HandshakeType) -> Self {
        use HandshakeType as H;
        match t {
            H::HelloRequest => MessageKind::HelloRequest,
            H::ClientHello => MessageKind::ClientHello,
            H::ServerHello => MessageKind::ServerHello,
            H::HelloVerifyRequest => MessageKind::HelloVerifyRequest,
            H::NewSessionTicket => MessageKind::NewSessionTicket,
            H::EndOfEarlyData => MessageKind::EndOfEarlyData,
            H::HelloRetryRequest => MessageKind::HelloRetryRequest,
            H::EncryptedExtensions => MessageKind::EncryptedExtensions,
            H::RequestConnectionId => MessageKind::RequestConnectionId,
            H::NewConnectionId => MessageKind::NewConnectionId,
            H::Certificate => MessageKind::Certificate,
            H::ServerKeyExchange => MessageKind::ServerKeyExchange,
            H::CertificateRequest => MessageKind::CertificateRequest,
            H::ServerHelloDone => MessageKind::ServerHelloDone,
            H::CertificateVerify => MessageKind::CertificateVerify,
            H::ClientKeyExchange => MessageKind::ClientKeyExchange,
            H::ClientCertificateRequest => MessageKind::ClientCertificateRequest,
            H::Finished => MessageKind::Finished,
            H::CertificateUrl => MessageKind::CertificateUrl,
            H::CertificateStatus => MessageKind::CertificateStatus,
            H::SupplementalData => MessageKind::SupplementalData,
            H::KeyUpdate => MessageKind::KeyUpdate,
            H::CompressedCertificate => MessageKind::CompressedCertificate,
            H::EktKey => MessageKind::EktKey,
            H::NextProtocol => MessageKind::NextProtocol,
            H::MessageHash => MessageKind::MessageHash,
            H::Unknown(code) => MessageKind::UnknownHandshake(code),
        }
    }
}

/// Every kind with a fixed name (all but the numbered unknowns).
const FIXED: [MessageKind; 46] = [
    MessageKind::HelloRequest,
    MessageKind::ClientHello,
    MessageKind::ServerHello,
    MessageKind::HelloRetryRequest,
    MessageKind::HelloVerifyRequest,
    MessageKind::NewSessionTicket,
    MessageKind::EndOfEarlyData,
    MessageKind::EncryptedExtensions,
    MessageKind::RequestConnectionId,
    MessageKind::NewConnectionId,
    MessageKind::Certificate,
    MessageKind::ServerKeyExchange,
    MessageKind::CertificateRequest,
    MessageKind::ServerHelloDone,
    MessageKind::CertificateVerify,
    MessageKind::ClientKeyExchange,
    MessageKind::ClientCertificateRequest,
    MessageKind::Finished,
    MessageKind::CertificateUrl,
    MessageKind::CertificateStatus,
    MessageKind::SupplementalData,
    MessageKind::KeyUpdate,
    MessageKind::CompressedCertificate,
    MessageKind::EktKey,
    MessageKind::NextProtocol,
    MessageKind::MessageHash,
    MessageKind::MalformedHandshake,
    MessageKind::EncryptedHandshake,
    MessageKind::ChangeCipherSpec,
    MessageKind::Alert,
    MessageKind::EncryptedAlert,
    MessageKind::EncryptedRecord,
    MessageKind::ApplicationData,
    MessageKind::Heartbeat,
    MessageKind::Ack,
    MessageKind::Sslv2Error,
    MessageKind::Sslv2ClientMasterKey,
    MessageKind::Sslv2ClientFinished,
    MessageKind::Sslv2ServerHello,
    MessageKind::Sslv2ServerVerify,
    MessageKind::Sslv2ServerFinished,
    MessageKind::Sslv2RequestCertificate,
    MessageKind::Sslv2ClientCertificate,
    MessageKind::Sslv2Unknown,
    MessageKind::Sslv2EncryptedRecord,
    MessageKind::Unknown,
];

impl MessageKind {
    /// The kind of an SSLv2 handshake message (RFC-less: the 1995 Netscape draft). Its
    /// CLIENT-HELLO is a [`MessageKind::ClientHello`].
    pub fn sslv2(msg_type: u8) -> MessageKind {
        match msg_type {
            0 => MessageKind::Sslv2Error,
            1 => MessageKind::ClientHello,
            2 => MessageKind::Sslv2ClientMasterKey,
            3 => MessageKind::Sslv2ClientFinished,
            4 => MessageKind::Sslv2ServerHello,
            5 => MessageKind::Sslv2ServerVerify,
            6 => MessageKind::Sslv2ServerFinished,
            7 => MessageKind::Sslv2RequestCertificate,
            8 => MessageKind::Sslv2ClientCertificate,
            _ => MessageKind::Sslv2Unknown,
        }
    }

    /// The event's `name`: "ClientHello", "UnknownRecord25", "SSLv2ServerHello", ...
    pub fn name(self) -> Name {
        match self {
            MessageKind::UnknownHandshake(code) => Name::Owned(format!("Unknown{code}")),
            MessageKind::UnknownRecord(code) => Name::Owned(format!("UnknownRecord{code}")),
            kind => Name::Borrowed(kind.fixed_name()),
        }
    }

    /// The name of a kind that has a fixed one ("Unknown" for the numbered unknowns).
    fn fixed_name(self) -> &'static str {
        match self {
            MessageKind::HelloRequest => "HelloRequest",
            MessageKind::ClientHello => "ClientHello",
            MessageKind::ServerHello => "ServerHello",
            MessageKind::HelloRetryRequest => "HelloRetryRequest",
            MessageKind::HelloVerifyRequest => "HelloVerifyRequest",
            MessageKind::NewSessionTicket => "NewSessionTicket",
            MessageKind::EndOfEarlyData => "EndOfEarlyData",
            MessageKind::EncryptedExtensions => "EncryptedExtensions",
            MessageKind::RequestConnectionId => "RequestConnectionId",
            MessageKind::NewConnectionId => "NewConnectionId",
            MessageKind::Certificate => "Certificate",
            MessageKind::ServerKeyExchange => "ServerKeyExchange",
            MessageKind::CertificateRequest => "CertificateRequest",
            MessageKind::ServerHelloDone => "ServerHelloDone",
            MessageKind::CertificateVerify => "CertificateVerify",
            MessageKind::ClientKeyExchange => "ClientKeyExchange",
            MessageKind::ClientCertificateRequest => "ClientCertificateRequest",
            MessageKind::Finished => "Finished",
            MessageKind::CertificateUrl => "CertificateUrl",
            MessageKind::CertificateStatus => "CertificateStatus",
            MessageKind::SupplementalData => "SupplementalData",
            MessageKind::KeyUpdate => "KeyUpdate",
            MessageKind::CompressedCertificate => "CompressedCertificate",
            MessageKind::EktKey => "EktKey",
            MessageKind::NextProtocol => "NextProtocol",
            MessageKind::MessageHash => "MessageHash",
            MessageKind::MalformedHandshake => "MalformedHandshake",
            MessageKind::EncryptedHandshake => "EncryptedHandshake",
            MessageKind::ChangeCipherSpec => "ChangeCipherSpec",
            MessageKind::Alert => "Alert",
            MessageKind::EncryptedAlert => "EncryptedAlert",
            MessageKind::EncryptedRecord => "EncryptedRecord",
            MessageKind::ApplicationData => "ApplicationData",
            MessageKind::Heartbeat => "Heartbeat",
            MessageKind::Ack => "Ack",
            MessageKind::Sslv2Error => "SSLv2Error",
            MessageKind::Sslv2ClientMasterKey => "SSLv2ClientMasterKey",
            MessageKind::Sslv2ClientFinished => "SSLv2ClientFinished",
            MessageKind::Sslv2ServerHello => "SSLv2ServerHello",
            MessageKind::Sslv2ServerVerify => "SSLv2ServerVerify",
            MessageKind::Sslv2ServerFinished => "SSLv2ServerFinished",
            MessageKind::Sslv2RequestCertificate => "SSLv2RequestCertificate",
            MessageKind::Sslv2ClientCertificate => "SSLv2ClientCertificate",
            MessageKind::Sslv2Unknown => "SSLv2Unknown",
            MessageKind::Sslv2EncryptedRecord => "SSLv2EncryptedRecord",
            MessageKind::Unknown => "Unknown",
            MessageKind::UnknownHandshake(_) | MessageKind::UnknownRecord(_) => "Unknown",
        }
    }

    /// The kind an event `name` stands for; [`MessageKind::Unknown`] for a name no kind has.
    /// The inverse of [`MessageKind::name`], for events built from a name.
    pub fn from_name(name: &str) -> MessageKind {
        if let Some(&kind) = FIXED.iter().find(|k| k.fixed_name() == name) {
            return kind;
        }
        let number = |prefix: &str| name.strip_prefix(prefix).and_then(|n| n.parse::<u8>().ok());
        if let Some(code) = number("UnknownRecord") {
            MessageKind::UnknownRecord(code)
        } else if let Some(code) = number("Unknown") {
            MessageKind::UnknownHandshake(code)
        } else {
            MessageKind::Unknown
        }
    }
}

impl std::fmt::Display for MessageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind the connection layer can build names itself as before and parses back from
    /// that name.
    #[test]
    fn names_round_trip() {
        let mut kinds: Vec<MessageKind> = FIXED.to_vec();
        for code in 0..=u8::MAX {
            kinds.push(MessageKind::from(HandshakeType::from(code)));
            kinds.push(MessageKind::UnknownRecord(code));
            kinds.push(MessageKind::sslv2(code));
        }
        for kind in kinds {
            assert_eq!(MessageKind::from_name(&kind.name()), kind, "{kind:?}");
        }
        assert_eq!(MessageKind::from_name("NoSuchMessage"), MessageKind::Unknown);
        assert_eq!(MessageKind::from_name("Unknown300"), MessageKind::Unknown);
    }

    #[test]
    fn names() {
        assert_eq!(&*MessageKind::from(HandshakeType::from(1)).name(), "ClientHello");
        assert_eq!(&*MessageKind::from(HandshakeType::from(7)).name(), "Unknown7");
        assert_eq!(&*MessageKind::UnknownRecord(25).name(), "UnknownRecord25");
        assert_eq!(&*MessageKind::sslv2(4).name(), "SSLv2ServerHello");
        assert_eq!(MessageKind::sslv2(1), MessageKind::ClientHello);
        assert_eq!(&*MessageKind::sslv2(9).name(), "SSLv2Unknown");
        assert_eq!(MessageKind::EncryptedRecord.to_string(), "EncryptedRecord");
        assert_eq!(MessageKind::from_name("ApplicationData"), MessageKind::ApplicationData);
        assert_eq!(MessageKind::from_name("Unknown7"), MessageKind::UnknownHandshake(7));
    }
}
