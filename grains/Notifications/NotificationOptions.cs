using System.Net.Mail;

namespace Billing.Notifications;

/// <summary>How SMTP secures its connection (E4). Azure Communication Services Email wants <see cref="StartTls"/> on port 587.</summary>
public enum SmtpSecurity
{
    /// <summary>Plain connection upgraded with STARTTLS; refused if the server does not offer it.</summary>
    StartTls = 0,

    /// <summary>TLS from the first byte (port 465).</summary>
    SslOnConnect = 1,

    /// <summary>No TLS: only for a server on loopback (tests, a local relay).</summary>
    None = 2,
}

/// <summary>SMTP delivery settings (section <c>Notifications:Smtp</c>). Without a host, emails go to the pickup folder.</summary>
public sealed class SmtpOptions
{
    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    public SmtpSecurity Security { get; set; } = SmtpSecurity.StartTls;

    /// <summary>For Azure Communication Services: the SMTP username bound to an Entra application (see README).</summary>
    public string? Username { get; set; }

    /// <summary>For Azure Communication Services: the Entra application's client secret. Keep it in a secret store.</summary>
    public string? Password { get; set; }

    /// <summary>Connect, authenticate and send time limit per attempt.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Email settings (section <c>Notifications</c>), validated when the silo starts.</summary>
public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    /// <summary>
    /// The customer portal every link of every email is built from (recharge now, update payment method, reactivate
    /// auto-reload, explore benefits, invoice, customer control panel). Absolute http(s) URL. The default is where the
    /// API host, which serves the portal, listens by default (its <c>Urls</c>).
    /// </summary>
    public string PortalBaseUrl { get; set; } = "http://127.0.0.1:5080";

    /// <summary>The sender. For Azure Communication Services, an address of a domain connected to the resource.</summary>
    public string FromAddress { get; set; } = "billing@localhost";

    public string FromName { get; set; } = "Billing";

    /// <summary>The right-hand side of every <c>Message-ID</c>; defaults to the sender's domain.</summary>
    public string? MessageIdDomain { get; set; }

    /// <summary>Where emails are written as <c>.eml</c> files when no SMTP host is configured (the local default).</summary>
    public string PickupDirectory { get; set; } = Path.Combine(".data", "mail");

    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>E3: delivery attempts before a message is dead-lettered.</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>E3: the wait after the 1st, 2nd, ... failed attempt; the last value repeats.</summary>
    public List<TimeSpan> RetryDelays { get; set; } = [];

    /// <summary>Defaults when <see cref="RetryDelays"/> is not configured: 1 min, 5 min, 30 min, 2 h, 6 h.</summary>
    public static readonly IReadOnlyList<TimeSpan> DefaultRetryDelays =
        [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(6)];

    public bool UsesSmtp => !string.IsNullOrWhiteSpace(Smtp.Host);

    public IReadOnlyList<TimeSpan> EffectiveRetryDelays => RetryDelays.Count > 0 ? RetryDelays : DefaultRetryDelays;

    /// <summary>
    /// How long a message handed to the mail server may go without its outcome recorded before it counts as interrupted
    /// (<see cref="OutboxStatus.Unconfirmed"/>): ten SMTP timeouts, far beyond the few commands one message takes, so a
    /// send still running in another activation of the shard is never mistaken for a dead one.
    /// </summary>
    public TimeSpan HandOverDeadline => Smtp.Timeout * 10;

    public string EffectiveMessageIdDomain =>
        !string.IsNullOrWhiteSpace(MessageIdDomain) ? MessageIdDomain : MailAddress.TryCreate(FromAddress, out var from) ? from.Host : "localhost";

    public IEnumerable<string> Problems()
    {
        if (!Uri.TryCreate(PortalBaseUrl, UriKind.Absolute, out var portal) || portal.Scheme is not ("http" or "https"))
            yield return $"{Section}:PortalBaseUrl must be an absolute http(s) URL (is '{PortalBaseUrl}').";
        if (!MailAddress.TryCreate(FromAddress, out _))
            yield return $"{Section}:FromAddress must be an email address (is '{FromAddress}').";
        if (MaxAttempts is < 1 or > 50)
            yield return $"{Section}:MaxAttempts must be between 1 and 50 (is {MaxAttempts}).";
        if (RetryDelays.Any(d => d <= TimeSpan.Zero || d > TimeSpan.FromDays(7)))
            yield return $"{Section}:RetryDelays must each be positive and at most 7 days.";
        if (UsesSmtp)
        {
            if (Smtp.Port is < 1 or > 65535)
                yield return $"{Section}:Smtp:Port must be between 1 and 65535 (is {Smtp.Port}).";
            if (!Enum.IsDefined(Smtp.Security))
                yield return $"{Section}:Smtp:Security must be StartTls, SslOnConnect or None.";
            if (string.IsNullOrEmpty(Smtp.Username) != string.IsNullOrEmpty(Smtp.Password))
                yield return $"{Section}:Smtp:Username and {Section}:Smtp:Password are set together or not at all.";
            if (Smtp.Timeout <= TimeSpan.Zero || Smtp.Timeout > TimeSpan.FromMinutes(5))
                yield return $"{Section}:Smtp:Timeout must be between 0 and 5 minutes (is {Smtp.Timeout}).";
        }
        else if (string.IsNullOrWhiteSpace(PickupDirectory))
        {
            yield return $"{Section}:PickupDirectory is required when {Section}:Smtp:Host is not set.";
        }
    }
}
