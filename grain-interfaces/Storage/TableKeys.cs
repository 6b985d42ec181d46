using System.Globalization;
using System.Text;

namespace Billing.Storage.Shared;

/// <summary>
/// Escapes arbitrary strings into valid Azure Table PartitionKey/RowKey values.
/// </summary>
/// <remarks>
/// Azure forbids <c>/ \ # ?</c> and control characters in keys (Azurite even answers 500 to a <c>/</c>), and
/// caps a key at 1 KiB. Each forbidden character and the escape character <c>~</c> itself become <c>~XX</c>
/// (two hex digits), so the mapping is injective: two distinct grain ids never share a key.
/// </remarks>
public static class TableKeys
{
    private const char EscapeChar = '~';

    /// <summary>Azure's limit is 1 KiB per key; UTF-16 code units are counted conservatively as 2 bytes.</summary>
    public const int MaxKeyChars = 512;

    /// <summary>Bounded keys are at most this long, so that two of them still fit one 1 KiB key side by side.</summary>
    public const int MaxBoundedChars = 256;

    public static string Escape(string raw)
    {
        var escaped = EscapeAnyLength(raw);
        if (escaped.Length > MaxKeyChars)
            throw new ArgumentException($"The escaped table key is {escaped.Length} characters long; Azure Tables allow at most {MaxKeyChars}. Key starts with '{escaped[..40]}'.", nameof(raw));
        return escaped;
    }

    /// <summary>
    /// A key for a value of any length that callers choose (idempotency keys, event ids, user ids): the escaped value
    /// when it is at most <see cref="MaxBoundedChars"/> long, otherwise its escaped start, <c>~h</c> and the SHA-256 of
    /// the whole value. An escaped value never holds <c>~h</c> (an escape is <c>~</c> and two hex digits), so a
    /// hashed key never equals a plain one. The value itself is not recoverable: keep it in a property where needed.
    /// </summary>
    public static string Bounded(string raw)
    {
        var escaped = EscapeAnyLength(raw);
        if (escaped.Length <= MaxBoundedChars)
            return escaped;
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(raw)));
        return escaped[..(MaxBoundedChars - 2 - hash.Length)] + "~h" + hash;
    }

    private static string EscapeAnyLength(string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        StringBuilder? builder = null;
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (NeedsEscape(c))
            {
                builder ??= new StringBuilder(raw.Length + 8).Append(raw, 0, i);
                builder.Append(EscapeChar).Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                builder?.Append(c);
            }
        }

        return builder?.ToString() ?? raw;
    }

    public static string Unescape(string escaped)
    {
        ArgumentNullException.ThrowIfNull(escaped);
        if (escaped.IndexOf(EscapeChar, StringComparison.Ordinal) < 0)
            return escaped;

        var builder = new StringBuilder(escaped.Length);
        for (var i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] == EscapeChar && i + 2 < escaped.Length)
            {
                builder.Append((char)int.Parse(escaped.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 2;
            }
            else
            {
                builder.Append(escaped[i]);
            }
        }

        return builder.ToString();
    }

    // Every character that needs escaping is below U+0100, so two hex digits always suffice.
    private static bool NeedsEscape(char c) =>
        c is '/' or '\\' or '#' or '?' or EscapeChar || char.IsControl(c);
}
