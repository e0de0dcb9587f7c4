-- depends: 0005.sandbox-clocks-chaos
-- Version 6: 3-D Secure 2 beside 3-D Secure 1.  An authorization at the ACS remembers the
-- 3DS2 step it waits in ('method' or 'challenge'; NULL = 3DS1, as every earlier row) and
-- the 3DS server's transaction id (threeDSServerTransId, which finish3dsVer2Payment.do
-- names); once answered, the 3-D Secure result the status reports as secureAuthInfo
-- (JSON: version, transStatus, cavv, xid, dsTransId, serverTransId).

ALTER TABLE operations ADD COLUMN three_ds_step TEXT;
ALTER TABLE operations ADD COLUMN three_ds_trans_id TEXT;
ALTER TABLE operations ADD COLUMN secure_auth TEXT;

CREATE INDEX operations_three_ds_trans ON operations (three_ds_trans_id)
    WHERE three_ds_trans_id IS NOT NULL;
