using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Billing.Api.Payments;

/// <summary>
/// M2: the gateway's webhook signature: header <c>Billing-Signature: t={unix seconds},v1={hex HMAC-SHA256}</c>, where the
/// HMAC is over <c>"{t}.{raw body}"</c> with the shared secret. A signature older or newer than the tolerance is
/// refused, so a captured request cannot be replayed later.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "Billing-Signature";
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    public static string Sign(string secret, DateTimeOffset at, ReadOnlySpan<byte> body)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"t={t},v1={Convert.ToHexStringLower(Mac(secret, t, body))}";
    }

    /// <summary>True when <paramref name="header"/> signs <paramref name="body"/> with <paramref name="secret"/> within the tolerance of <paramref name="now"/>.</summary>
    public static bool IsValid(string secret, string? header, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(header))
            return false;
        string? t = null;
        string? v1 = null;
        foreach (var part in header.Split(','))
        {
            var kv = part.Trim().Split('=', 2);
            if (kv.Length != 2)
                continue;
            if (kv[0] == "t")
                t = kv[1];
            else if (kv[0] == "v1")
                v1 = kv[1];
        }

        if (t is null || v1 is null || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            return false;
        if (seconds < -62135596800L || seconds > 253402300799L || (now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > Tolerance)
            return false;
        byte[] given;
        try
        {
            given = Convert.FromHexString(v1);
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(given, Mac(secret, t, body));
    }

    private static byte[] Mac(string secret, string t, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(t + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message);
    }
}
