namespace Billing.Users;

/// <summary>
/// What the billing system knows of one user (keyed by the token's <c>sub</c>): the address emails go to. The API
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
}

[GenerateSerializer, Immutable, Alias("billing.users.profile")]
public sealed record UserProfile(
    [property: Id(0)] string Email,
    [property: Id(1)] string DisplayName);
