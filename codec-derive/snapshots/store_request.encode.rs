const _: () = {
    use ::codec as _codec;
    #[automatically_derived]
    impl _codec::Encode for StoreRequest {
        #[inline]
        fn encoded_len(&self) -> usize {
            0 + <u8 as _codec::Encode>::encoded_len(&self.trans)
                + {
                    let __n = <String as _codec::EncodeSeq>::seq_count(
                        &self.name,
                        _codec::wire::Unit::Elements,
                    );
                    _codec::wire::LenPrefix::U8.size(__n)
                        + <String as _codec::EncodeSeq>::seq_encoded_len(&self.name)
                }
                + {
                    let __n = <Vec<
                        u8,
                    > as _codec::EncodeSeq>::seq_count(
                        &self.data,
                        _codec::wire::Unit::Elements,
                    );
                    _codec::wire::LenPrefix::U16.size(__n)
                        + <Vec<u8> as _codec::EncodeSeq>::seq_encoded_len(&self.data)
                }
        }
        #[inline]
        fn encode_with(
            &self,
            __buf: &mut _codec::__private::Vec<u8>,
            _: _codec::wire::Endian,
        ) -> _codec::__private::Result<(), _codec::EncodeError> {
            _codec::__private::encode_ctx(
                <u8 as _codec::Encode>::encode_with(
                    &self.trans,
                    __buf,
                    _codec::wire::Endian::Big,
                ),
                "StoreRequest",
                "trans",
            )?;
            _codec::__private::encode_ctx(
                _codec::wire::LenPrefix::U8
                    .write(
                        <String as _codec::EncodeSeq>::seq_count(
                            &self.name,
                            _codec::wire::Unit::Elements,
                        ),
                        __buf,
                        _codec::wire::Endian::Big,
                    )
                    .and_then(|()| <String as _codec::EncodeSeq>::encode_seq(
                        &self.name,
                        __buf,
                        _codec::wire::Endian::Big,
                    )),
                "StoreRequest",
                "name",
            )?;
            _codec::__private::encode_ctx(
                _codec::wire::LenPrefix::U16
                    .write(
                        <Vec<
                            u8,
                        > as _codec::EncodeSeq>::seq_count(
                            &self.data,
                            _codec::wire::Unit::Elements,
                        ),
                        __buf,
                        _codec::wire::Endian::Big,
                    )
                    .and_then(|()| <Vec<
                        u8,
                    > as _codec::EncodeSeq>::encode_seq(
                        &self.data,
                        __buf,
                        _codec::wire::Endian::Big,
                    )),
                "StoreRequest",
                "data",
            )?;
            _codec::__private::Ok(())
        }
    }
};
