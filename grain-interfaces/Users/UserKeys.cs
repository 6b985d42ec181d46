using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Billing.Users;

/// <summary>
/// Grain keys derived from user ids. A user id is the token's <c>sub</c>, chosen by the identity provider: up to
/// <see cref="UserLimits.MaxUserIdLength"/> characters of anything. Storage keys are bounded (Azure Tables: 1 KiB per
/// key, and some characters escaped to three), so a long or unusual id is keyed by its SHA-256 instead; the id itself
/// lives where it is needed (workspace members, app owners, outbox recipients).
/// </summary>
public static class UserKeys
{
    /// <summary>Ids this short, of <see cref="Plain"/> characters only, are their own key (every id seen so far).</summary>
    public const int MaxPlainLength = 128;

    /// <summary>The prefix of a hashed key; <c>~</c> is not a plain character, so no plain id can look like one.</summary>
    public const string HashedPrefix = "u~";

    private static readonly SearchValues<char> Plain =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@|:+=");

    /// <summary>The key of the user's grains: the id itself when short and plain, otherwise a fixed-length hash of it.</summary>
    public static string GrainKey(string userId)
    {
        ArgumentNullException.ThrowIfNull(userId);
        return userId.Length is > 0 and <= MaxPlainLength && !userId.AsSpan().ContainsAnyExcept(Plain)
            ? userId
            : HashedPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userId)));
    }

    /// <summary>The user's <see cref="IUserGrain"/>, whatever the length of the id.</summary>
    public static IUserGrain User(this IGrainFactory grains, string userId) => grains.GetGrain<IUserGrain>(GrainKey(userId));
}
