using System.Security.Cryptography;
using System.Text;

namespace Billing.Notifications;

/// <summary>
/// The outbox's rules, free of Orleans and storage: which message an event becomes (its key), and when a failed
/// delivery is tried again or given up (E2, E3).
/// </summary>
public static class DeliveryRules
{
    /// <summary>
    /// E2: the outbox key of the email of <paramref name="template"/> to <paramref name="recipient"/> for one event. The
    /// same event, however often raised, maps to the same keys, and a key is stored once: one email per recipient.
    /// The event hash comes first so that all messages of an event are one range of the shard's partition.
    /// </summary>
    public static string MessageKey(string eventId, EmailTemplate template, string recipient) =>
        OutboxShards.EventHash(eventId) + "-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{template}|{recipient}")))[..16];

    /// <summary>The MIME <c>Message-ID</c> of every attempt of one message, so a resend after a crash is recognisable.</summary>
    public static string MimeMessageId(string messageKey, string domain) => $"{messageKey}@{domain}";

    /// <summary>
    /// E3: when to try again after <paramref name="attemptsMade"/> failed attempts, or null when that was the last one
    /// (the message is dead-lettered). The delays are used in order and the last one repeats.
    /// </summary>
    public static DateTimeOffset? NextAttemptAt(int attemptsMade, DateTimeOffset now, int maxAttempts, IReadOnlyList<TimeSpan> delays)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attemptsMade, 1);
        if (attemptsMade >= maxAttempts || delays.Count == 0)
            return null;
        return now + delays[Math.Min(attemptsMade - 1, delays.Count - 1)];
    }
}
