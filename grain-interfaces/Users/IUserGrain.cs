namespace Billing.Users;

/// <summary>
/// What the billing system knows of one user (keyed by <see cref="UserKeys.GrainKey"/> of the token's <c>sub</c>): the address emails go to. The API
/// records it from the caller's token claims; the notifications module reads it to address an owner's emails.
/// </summary>
public interface IUserGrain : IGrainWithStringKey
{
    /// <summary>Records the user's email address and display name; writes only when they changed.</summary>
    Task Record(UserProfile profile);

    /// <summary>The profile, or null for a user never seen.</summary>
    Task<UserProfile?> Get();
}

public static class UserLimits
{
    public const int MaxEmailLength = 254; // RFC 5321 path limit
    public const int MaxDisplayNameLength = 200;

    /// <summary>
    /// The longest user id (token <c>sub</c>) accepted anywhere. OIDC allows 255 ASCII characters; 4 KB leaves room for
    /// any provider, and no storage key is made from an id directly (<see cref="UserKeys"/>).
    /// </summary>
    public const int MaxUserIdLength = 4096;
}

[GenerateSerializer, Immutable, Alias("billing.users.profile")]
public sealed record UserProfile(
    [property: Id(0)] string Email,
    [property: Id(1)] string DisplayName);
