namespace Billing.Rules;

/// <summary>The two expiry notices of a stored card (M3).</summary>
public enum CardNotice
{
    /// <summary>The card expires within <see cref="PaymentRules.ExpiryNoticeLead"/> (30 days).</summary>
    Expiring = 0,

    /// <summary>The card has expired.</summary>
    Expired = 1,
}

/// <summary>M3: which expiry notice of a card is due, and when the next one will be. Free of Orleans.</summary>
public static class CardExpiryRules
{
    /// <summary>
    /// The notice due at <paramref name="now"/>, or null. Each goes out once; a card first seen after it expired gets
    /// only the "expired" notice, and once that went out nothing more is due.
    /// </summary>
    public static CardNotice? NoticeDue(int month, int year, bool expiringSent, bool expiredSent, DateTimeOffset now)
    {
        if (expiredSent)
            return null;
        if (now >= PaymentRules.ExpiresAt(month, year))
            return CardNotice.Expired;
        if (!expiringSent && now >= PaymentRules.ExpiryNoticeAt(month, year))
            return CardNotice.Expiring;
        return null;
    }

    /// <summary>When the card's next notice falls due, or null when both went out.</summary>
    public static DateTimeOffset? NextNoticeAt(int month, int year, bool expiringSent, bool expiredSent) =>
        expiredSent ? null
        : expiringSent ? PaymentRules.ExpiresAt(month, year)
        : PaymentRules.ExpiryNoticeAt(month, year);
}
