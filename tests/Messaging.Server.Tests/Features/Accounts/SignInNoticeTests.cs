using Messaging.Contracts;
using Messaging.Testing;

namespace Messaging.Server.Tests.Features.Accounts;

/// <summary>Admins and operators are pushed to passkeys: every sign-in asks them until they have one.</summary>
public sealed class SignInNoticeTests : IAsyncLifetime
{
    private TestServer server = null!;
    private Scenario scenario = null!;

    public async ValueTask InitializeAsync()
    {
        server = await TestServer.StartAsync();
        scenario = await Scenario.StartAsync(server);
    }

    public async ValueTask DisposeAsync()
    {
        await scenario.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task SignIn_AdminOrOperatorWithoutPasskey_IsAskedToEnrolOne()
    {
        var admin = await scenario.Api.SignInAsync(scenario.Admin.Login, Scenario.Password);
        var operatorSignIn = await scenario.Api.SignInAsync(scenario.Operator.Login, Scenario.Password);

        Assert.Contains(SignInNotices.EnrolPasskey, admin.Notices!);
        Assert.Contains(SignInNotices.EnrolPasskey, operatorSignIn.Notices!);
    }

    [Fact]
    public async Task SignIn_DoctorOrPatient_HasNoPasskeyNotice()
    {
        var doctor = await scenario.MemberAsync();
        var patient = await scenario.PatientAsync();

        var doctorSignIn = await scenario.Api.SignInAsync(doctor.Login, Scenario.Password);
        var patientSignIn = await scenario.Api.SignInAsync(patient.Login, Scenario.Password);

        Assert.Empty(doctorSignIn.Notices!);
        Assert.Empty(patientSignIn.Notices!);
        Assert.Equal(SignInStates.Required, doctorSignIn.SecondFactor);
        Assert.Equal(SignInStates.Satisfied, patientSignIn.SecondFactor);
    }
}
