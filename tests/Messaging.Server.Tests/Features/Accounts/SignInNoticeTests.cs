using Messaging.Contracts;
using Messaging.Testing;

namespace Messaging.Server.Tests.Features.Accounts;

/// <summary>Admins and operators are pushed to passkeys: every sign-in asks them until they have one.</summary>
public sealed class SignInNoticeTests() : ServerTest(manualClock: false)
{
    [Fact]
    public async Task SignIn_AdminOrOperatorWithoutPasskey_IsAskedToEnrolOne()
    {
        var admin = await Scenario.Api.SignInAsync(Scenario.Admin.Login, Scenario.Password);
        var operatorSignIn = await Scenario.Api.SignInAsync(Scenario.Operator.Login, Scenario.Password);

        Assert.Contains(SignInNotices.EnrolPasskey, admin.Notices!);
        Assert.Contains(SignInNotices.EnrolPasskey, operatorSignIn.Notices!);
    }

    [Fact]
    public async Task SignIn_DoctorOrPatient_HasNoPasskeyNotice()
    {
        var doctor = await Scenario.MemberAsync();
        var patient = await Scenario.PatientAsync();

        var doctorSignIn = await Scenario.Api.SignInAsync(doctor.Login, Scenario.Password);
        var patientSignIn = await Scenario.Api.SignInAsync(patient.Login, Scenario.Password);

        Assert.Empty(doctorSignIn.Notices!);
        Assert.Empty(patientSignIn.Notices!);
        Assert.Equal(SignInStates.Required, doctorSignIn.SecondFactor);
        Assert.Equal(SignInStates.Satisfied, patientSignIn.SecondFactor);
    }
}
