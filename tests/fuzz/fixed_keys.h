#pragma once

// Fixed signing keys for the fuzz targets (made once with openssl genpkey;
// test keys, never used anywhere else), so that a token in the corpus
// verifies on every run.

#include <string>
#include <vector>

namespace mxauth::fuzz {

inline std::vector<std::string> fixedKeyPems() {
  return {
      R"pem(-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCxovo8Ax7XhGoi
4NfUSAtKMBzc9r6CCu2NrYuJtHOLDnNVxIrHiILasa5/ZQVDpsA7t2+JrG+BlKX5
/O/B9mRt65qzyPVaWNmzY3qOszDPUDlq6D3Z70ssNMmVT5WESRIbhbKZ6JbBiBXA
Ob7tJdu3VFGkKFLfdQ2jrX0deZ7/9wGpsu9CMhhrx7IpQRRDtH5kFY9A5Kj1g6h2
dB7U29dBUhbOH0a9EluW2giwUwxxw+/L0yT6sgyR/Xh21gOGp13t7dMJMsdikR5V
4quVWXvcctTuJTJ5ZzfEqhNgWF2xyHpBa18BsnA/8Wpa2fLr6UEKyT4LNh7RPCio
hMol/V1BAgMBAAECggEACLmbluUEV8ueNvZaQ4gCXfN9B3FrLBIDVwkmKG5fmn3s
NlNACcrvunQtwP4iQw9ms8gvx1Bb7b5yZJQC5sEGb8u5vojpXDWvA7uoImg0xooH
N/QOTa0OQS6alCXjjyrTo9xuSFb/SKQ5hUaQ1S8d2qRemjSM1YL3V4nG8nKt156i
WDpOsy+/FoqCm1izIuis+TzyT++B76EQpf305D9GAwwG4KfeTJ6Kt1FwJQE1hYiZ
GEBQqzF1ulCX6WKrKtZZ9XMEqNjCqMiVbU5r85hOfXLdipfLcsstxgVMnGE5BVRc
tq+zH8T85M1E3F2yHkMx9k+nmJSjfsNi+gAdeXGZkQKBgQDW/fhbsJoWPakh/bEY
+F5nzXiDt6Up9/DIdqCS/yulWr3mtq439IC5WPCY8T0a+odduvHbtFLfmlGvQ3pA
/gmdvTy0VI9t5GW9Qsx4U3UkC12c/pMOvazGmhCLK3x/noFjtMLH3yZt3NmnUENT
ZFKxX5sLtmf7MzFdDdoPaynBxQKBgQDThPJpJCDGRdnChc1Ws+4nnTh6aEIhdHe7
46AZ2uyJMl2jRef0lH2lRmi5RkE+eBoVxqXipMLUjOtPhlbdX7KabisvvD1GcURB
MVG+/IXv0FbADQyHks0WAv01rqEQiBLVuv2KiEEKmF0Os4pqufvcnH+PmUKP0p6U
JHs2q1ARTQKBgGzb7AWBRoQ8dIdhjWq3WBX3VC5drqOxh5n5dxT3X4I6kC1iEpUC
mKtA/ZJzlB00/ZXYMt6sT8oouXOlFyIRf4z/ZN1qc7WREHLkf+PtXkMB/kSgIpY0
NGfbWsUdH8z+1UVHIdlShILccNjnKy/ufHCTmE417jCjmzsi6GcmO96BAoGBALmI
Gs1ouCrSKDD9BmDv0I0E1f5gpukLbN7syYkEQ4gQGpxVfCFHgnJPMRqaai4uUMsb
BHSpio+/z8NglZ72CwZ0bgMf/StlvLXmWcrJW34/42fvyja86JFPK+VDeNm0UbkR
nMU/wLVXcgCsMVRuMGKRDz7Y8s6OszRET6NjXwbdAoGAB5hPBPdQgbYfFuqWYoLZ
pumvf4a/u3yGkv0aje5XWnxyfDIaS3NO5M78UotefDPOEKgbkbWMNMBUWoFJ63tc
UBe+h14YidiIy7bvrJG0PiUZMwNIPBg2I7g2HZF7a/GDZ6BBHKEksMSPb+zbUBZ1
Q1rWA9fyXtHADK6IqLG8b2g=
-----END PRIVATE KEY-----
)pem",
      R"pem(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgzCNkcCA1jNf/CFMo
US2OrztYDEfOb11rWXdibMX8NFehRANCAAS/L559k42eFbqgd/lfGIoPTE6ELCYF
+IrRhIBpiSPK5BcF9gw/7eZ/q21U6ut1dxW6WnR1owm52PYt2F4vOLHw
-----END PRIVATE KEY-----
)pem",
      R"pem(-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIDSmYyEfwhcQ8bWRobtEIhotNTI4+zTqM4BPTwtY7FlK
-----END PRIVATE KEY-----
)pem",
  };
}

}  // namespace mxauth::fuzz
